"""Whole models through mmdeploy (tools/deployment/deploy.py,
hvt_mm.deployment): ONNX Runtime and OpenVINO predictions against PyTorch's
for every family, static and dynamic shapes, Mask R-CNN, Cascade Mask
R-CNN, UperNet and the EfficientViT head, with random weights."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config

from hvt_mm.utils.errors import UsageError
from tests.tool_loader import load_tool

mmdeploy_support = pytest.importorskip('hvt_mm.deployment.mmdeploy_support')

SEG_CONFIGS = [
    'upernet_fastervit_0_ade20k', 'upernet_efficientvit_b1_ade20k',
    'upernet_lightvit_t_ade20k', 'upernet_fastvit_sa12_ade20k'
]

DECISIVE_STD = 3.0


def _deploy_cfg(tmp_path, name: str, shape) -> str:
    cfg = Config.fromfile(f'configs/deploy/{name}.py')
    cfg.onnx_config.input_shape = list(shape)
    path = str(tmp_path / 'deploy_cfg.py')
    cfg.dump(path)
    return path


def _decisive_scores(model: torch.nn.Module) -> None:
    """Spread a random detector's objectness and class logits to a std of
    DECISIVE_STD (measured on a random image). Random heads give every
    class about 1/80, so nothing passes the score threshold and the
    smallest float difference reorders the RPN ranking; much larger
    logits saturate every score at 1.0, which ties them again."""
    from mmdet.structures import DetDataSample
    layers = {
        name: module
        for name, module in model.named_modules()
        if name.endswith(('rpn_cls', 'fc_cls'))
    }
    outputs = {name: [] for name in layers}
    hooks = [
        module.register_forward_hook(lambda mod, args, out, name=name: outputs[
            name].append(out.flatten()) and None)
        for name, module in layers.items()
    ]
    shape = (256, 256)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=shape,
            ori_shape=shape,
            pad_shape=shape,
            batch_input_shape=shape,
            scale_factor=(1., 1.)))
    image = torch.randint(
        0,
        256, (3, *shape),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(0))
    model.eval()
    with torch.no_grad():
        model.test_step(dict(inputs=[image], data_samples=[sample]))
        for hook in hooks:
            hook.remove()
        for name, module in layers.items():
            gain = DECISIVE_STD / torch.cat(outputs[name]).std().item()
            module.weight.mul_(gain)
            module.bias.mul_(gain)


def _checkpoint(config: str, tmp_path, decisive: bool = False) -> str:
    """Random weights with non-trivial BatchNorm statistics (and, with
    ``decisive``, :func:`_decisive_scores`)."""
    from mmengine.registry import init_default_scope

    from hvt_mm.analysis.model_builder import build_model_from_config
    cfg = Config.fromfile(
        config if config.endswith('.py') else f'configs/{config}.py')
    cfg.model.backbone.init_cfg = None
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model, _ = build_model_from_config(cfg)
    gen = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.copy_(
                0.1 * torch.randn(module.num_features, generator=gen))
            module.running_var.copy_(
                torch.rand(module.num_features, generator=gen) + 0.5)
    if decisive:
        _decisive_scores(model)
    path = str(tmp_path / 'model.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def test_exact_adaptive_pool_equals_pytorch():
    x = torch.randn(2, 3, 8, 11)
    for size in [(1, 1), (2, 2), (3, 3), (6, 6), (3, 5), (8, None)]:
        torch.testing.assert_close(
            mmdeploy_support.exact_adaptive_avg_pool2d(x, size),
            torch.nn.functional.adaptive_avg_pool2d(x, size),
            rtol=1e-6,
            atol=1e-6)


def test_attention_exports_without_training_dropout(tmp_path):
    """Under mmdeploy's rewriting, SDPA with a float mask exports without a
    training-mode Dropout (mmdeploy's own rewrite writes one, which OpenVINO
    cannot convert) and OpenVINO computes it as PyTorch does."""
    import onnx
    ov = pytest.importorskip('openvino')
    from mmdeploy.core import RewriterContext

    class Attention(torch.nn.Module):

        def forward(self, q, k, v, bias):
            return torch.nn.functional.scaled_dot_product_attention(
                q, k, v, attn_mask=bias)

    inputs = tuple(torch.randn(2, 4, 16, 8)
                   for _ in range(3)) + (torch.randn(1, 4, 16, 16), )
    path = str(tmp_path / 'attention.onnx')
    deploy_cfg = Config.fromfile(
        'configs/deploy/segmentation_openvino_static-512x512.py')
    with torch.no_grad(), RewriterContext(cfg=deploy_cfg, backend='openvino'):
        torch.onnx.export(
            Attention(), inputs, path, opset_version=17, dynamo=False)
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert 'Dropout' not in ops, ops
    # fp32: bf16 is OpenVINO's default on CPUs with AVX-512 BF16
    compiled = ov.Core().compile_model(
        ov.convert_model(path), 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    out = compiled([x.numpy() for x in inputs])[0]
    torch.testing.assert_close(
        torch.from_numpy(out), Attention()(*inputs), rtol=1e-4, atol=1e-5)


def test_exact_adaptive_pool_follows_the_size_in_a_dynamic_export(tmp_path):
    """The bins are traced from the input size: one dynamic export pools
    like PyTorch at sizes that do and do not divide into the bins."""
    import onnxruntime as ort

    class Pool(torch.nn.Module):

        def forward(self, x):
            return mmdeploy_support.exact_adaptive_avg_pool2d(x, (3, 6))

    path = str(tmp_path / 'pool.onnx')
    with torch.no_grad():
        torch.onnx.export(
            Pool(),
            torch.randn(1, 4, 16, 16),
            path,
            dynamo=False,
            opset_version=17,
            input_names=['input'],
            dynamic_axes={'input': {
                2: 'height',
                3: 'width'
            }})
    session = ort.InferenceSession(path)
    for size in [(16, 16), (11, 23), (8, 8)]:
        x = torch.randn(1, 4, *size)
        out = session.run(None, {'input': x.numpy()})[0]
        torch.testing.assert_close(
            torch.from_numpy(out),
            torch.nn.functional.adaptive_avg_pool2d(x, (3, 6)),
            rtol=1e-5,
            atol=1e-6)


def _deploy_and_verify(tool, deploy_cfg, config, checkpoint, tmp_path, capsys,
                       *extra) -> dict:
    path = config if config.endswith('.py') else f'configs/{config}.py'
    assert tool.main([
        deploy_cfg, path, checkpoint, '--work-dir',
        str(tmp_path / 'out'), '--verify', *extra
    ]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _check_label_maps(report: dict) -> None:
    """The graph's logits as traced, mmseg's label map from them."""
    assert report['vs_traced']['output'] < 1e-3, report
    assert report['vs_pytorch']['pixel_agreement'] > 0.999, report


@pytest.mark.slow
@pytest.mark.parametrize('config', SEG_CONFIGS)
def test_segmentor_deploys_with_pytorch_label_maps(config, tmp_path, capsys):
    """256x256: the last map is 8x8, so UperNet's 3x3 and 6x6 pyramid
    pooling bins do not divide it (mmdeploy's own rewrite is off there)."""
    deploy_cfg = _deploy_cfg(tmp_path, 'segmentation_onnxruntime_static-'
                             '512x512', (256, 256))
    report = _deploy_and_verify(
        load_tool('tools/deployment/deploy.py'), deploy_cfg, config,
        _checkpoint(config, tmp_path), tmp_path, capsys)
    _check_label_maps(report)


@pytest.mark.slow
@pytest.mark.parametrize(
    'config',
    ['upernet_efficientvit_b1_ade20k', 'upernet_fastvit_sa12_ade20k'])
def test_dynamic_segmentor_is_right_at_other_sizes(config, tmp_path):
    """One dynamic export, traced at 256x256, checked at two other sizes,
    one of them resized by the test pipeline (short side 256): the deployed
    logits are resized back to the image as mmseg resizes them, so even a
    random model's fragmented label map agrees."""
    from hvt_mm.deployment import verification
    cfg = Config.fromfile(f'configs/{config}.py')
    cfg.model.backbone.init_cfg = None
    cfg.test_pipeline[1].scale = (1024, 256)
    cfg.test_dataloader.dataset.pipeline = cfg.test_pipeline
    model_cfg = str(tmp_path / 'model_cfg.py')
    cfg.dump(model_cfg)
    deploy_cfg = 'configs/deploy/segmentation_onnxruntime_dynamic.py'
    checkpoint = _checkpoint(config, tmp_path)
    images = [
        (np.random.RandomState(seed).rand(*size, 3) * 255).astype(np.uint8)
        for seed, size in enumerate([(256, 256), (256, 352), (300, 240)])
    ]
    files = mmdeploy_support.deploy(deploy_cfg, model_cfg, checkpoint,
                                    images[0], str(tmp_path / 'out'))
    for image in images:
        report = verification.verify(deploy_cfg, model_cfg, checkpoint, files,
                                     image)
        agreement = report['vs_pytorch']['pixel_agreement']
        assert agreement > 0.999, (image.shape, report)


@pytest.mark.parametrize(
    'config', ['upernet_fastervit_0_ade20k', 'upernet_lightvit_t_ade20k'])
def test_dynamic_deploy_refused_for_size_dependent_families(config, capsys):
    tool = load_tool('tools/deployment/deploy.py')
    with pytest.raises(UsageError, match='cannot be deployed with dynamic'):
        tool.main([
            'configs/deploy/segmentation_onnxruntime_dynamic.py',
            f'configs/{config}.py'
        ])


def test_logit_postprocessing_refused_for_corner_aligned_heads(tmp_path):
    """mmseg_postprocess resizes as the decode heads of our configs do
    (align_corners=False); a head that aligns corners gets told to deploy
    label maps instead."""
    cfg = Config.fromfile('configs/upernet_efficientvit_b1_ade20k.py')
    cfg.model.decode_head.align_corners = True
    model_cfg = str(tmp_path / 'model_cfg.py')
    cfg.dump(model_cfg)
    with pytest.raises(UsageError, match='with_argmax=True'):
        load_tool('tools/deployment/deploy.py').main([
            'configs/deploy/segmentation_onnxruntime_static-512x512.py',
            model_cfg
        ])


DET_CONFIGS = [
    'mask_rcnn_fastervit_0_coco', 'mask_rcnn_efficientvit_b1_coco',
    'mask_rcnn_lightvit_t_coco', 'mask_rcnn_fastvit_sa12_coco'
]


@pytest.mark.parametrize('class_agnostic', [False, True])
def test_cascade_rewrite_gives_mmdets_detections(class_agnostic):
    """Under mmdeploy's rewrites (as exported), the cascade refines the
    proposals between stages as mmdet does, with class-specific box
    regression (our recipe) and class-agnostic."""
    from mmdeploy.codebase import import_codebase
    from mmdeploy.core import RewriterContext
    from mmdeploy.utils import Codebase
    from mmdet.structures.bbox import bbox_overlaps
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData

    from hvt_mm.registry import MODELS
    import_codebase(Codebase.MMDET)  # mmdeploy's box-head rewrite, as exported
    init_default_scope('mmdet')
    cfg = Config.fromfile('configs/cascade_mask_rcnn_efficientvit_b1_coco.py')
    roi_cfg = cfg.model.roi_head
    roi_cfg.pop('mask_roi_extractor')
    roi_cfg.pop('mask_head')
    for head in roi_cfg.bbox_head:
        head.reg_class_agnostic = class_agnostic
    torch.manual_seed(0)
    roi_head = MODELS.build(dict(roi_cfg,
                                 test_cfg=cfg.model.test_cfg.rcnn)).eval()
    with torch.no_grad():
        for head in roi_head.bbox_head:
            head.fc_cls.weight.mul_(40)  # detections above 0.05, not tied
            head.fc_reg.weight.mul_(20)  # boxes that move between stages
    feats = tuple(
        torch.randn(1, 256, 64 // 2**i, 64 // 2**i) for i in range(4))
    corners = torch.rand(300, 2, 2) * 256
    boxes = torch.cat([corners.amin(1), corners.amax(1)], 1)
    metas = [dict(img_shape=(256, 256), scale_factor=(1., 1.))]
    deploy_cfg = Config.fromfile(
        'configs/deploy/instance-seg_onnxruntime_static-800x1344.py')
    with torch.no_grad():
        reference = roi_head.predict_bbox(
            feats,
            metas, [InstanceData(bboxes=boxes)],
            roi_head.test_cfg,
            rescale=False)[0]
        proposals = torch.cat([boxes, torch.ones(300, 1)], 1)[None]
        with RewriterContext(cfg=deploy_cfg, backend='onnxruntime'):
            dets, labels = roi_head.predict_bbox(feats, metas, [proposals],
                                                 roi_head.test_cfg)
    assert 20 < len(reference) == dets.shape[1], (len(reference), dets.shape)
    order = reference.scores.argsort(descending=True)
    torch.testing.assert_close(dets[0, :, 4], reference.scores[order])
    torch.testing.assert_close(labels[0], reference.labels[order])
    ious = bbox_overlaps(
        dets[0, :, :4], reference.bboxes[order], is_aligned=True)
    assert ious.min() > 0.999, ious.min()


@pytest.mark.slow
def test_cascade_deploys(tmp_path, capsys):
    """Our Cascade Mask R-CNN recipe (class-specific box regression)."""
    config = 'cascade_mask_rcnn_efficientvit_b1_coco'
    cfg = Config.fromfile(f'configs/{config}.py')
    assert not cfg.model.roi_head.bbox_head[0].reg_class_agnostic
    cfg.model.backbone.init_cfg = None
    model_cfg = str(tmp_path / 'cascade.py')
    cfg.dump(model_cfg)
    deploy_cfg = _deploy_cfg(tmp_path, 'instance-seg_onnxruntime_static-'
                             '800x1344', (256, 256))
    report = _deploy_and_verify(
        load_tool('tools/deployment/deploy.py'), deploy_cfg, model_cfg,
        _checkpoint(model_cfg, tmp_path, decisive=True), tmp_path, capsys)
    _check_detections(report)


def _check_detections(report: dict, bf16: bool = False) -> None:
    """The graph computes what it was traced from (mmdeploy's rewritten
    model, ``vs_traced``: boxes and scores to 1e-3, labels equal, mask
    logits to 1e-3) and that is mmdet's own predict (``vs_pytorch``: every
    box matched at IoU > 0.99, masks too). The second needs our per-level
    RPN NMS (hvt_mm.deployment.rpn_rewrite): with mmdeploy's one NMS over
    all levels 3-20 % of these boxes changed. Masks: mmdeploy pastes the
    (equal) 28x28 mask logits into the image its own way, which moves
    boundary pixels of a random model's small blobby masks (mean IoU 0.97-
    1.0 measured). bf16: most labels equal."""
    traced, pytorch = report['vs_traced'], report['vs_pytorch']
    assert pytorch['deployed_boxes'] == pytorch['boxes'] > 50, report
    if bf16:
        assert traced['labels'] > 0.8, report
        return
    assert traced['dets'] < 1e-3 and traced['masks'] < 1e-3, report
    assert traced['labels'] == 1.0, report
    assert pytorch['matched'] >= 0.99 * pytorch['boxes'], report
    assert pytorch['max_score_diff'] < 1e-3, report
    assert pytorch['mean_mask_iou'] > 0.95, report


@pytest.mark.slow
@pytest.mark.parametrize('config', DET_CONFIGS)
def test_instance_segmentor_deploys_with_pytorch_detections(
        config, tmp_path, capsys):
    deploy_cfg = _deploy_cfg(tmp_path, 'instance-seg_onnxruntime_static-'
                             '800x1344', (256, 256))
    report = _deploy_and_verify(
        load_tool('tools/deployment/deploy.py'), deploy_cfg, config,
        _checkpoint(config, tmp_path, decisive=True), tmp_path, capsys)
    _check_detections(report)


@pytest.mark.slow
def test_efficientvit_head_deploys(tmp_path, capsys):
    config = 'efficientvit_seg_b1_ade20k'
    deploy_cfg = _deploy_cfg(tmp_path, 'segmentation_onnxruntime_static-'
                             '512x512', (256, 256))
    report = _deploy_and_verify(
        load_tool('tools/deployment/deploy.py'), deploy_cfg, config,
        _checkpoint(config, tmp_path), tmp_path, capsys)
    _check_label_maps(report)


@pytest.mark.slow
@pytest.mark.parametrize('precision', ['openvino', 'openvino-bf16'])
@pytest.mark.parametrize('task,config',
                         [('segmentation', 'upernet_efficientvit_b1_ade20k'),
                          ('instance-seg', 'mask_rcnn_efficientvit_b1_coco')])
def test_openvino(task, config, precision, tmp_path, capsys):
    """OpenVINO reads the export and runs it on the CPU: fp32 as PyTorch;
    bf16 (to be judged by the task metric, benchmark_deploy.py) close
    to it even for random weights."""
    pytest.importorskip('openvino')
    shape = '800x1344' if task == 'instance-seg' else '512x512'
    deploy_cfg = _deploy_cfg(tmp_path, f'{task}_{precision}_static-{shape}',
                             (256, 256))
    report = _deploy_and_verify(
        load_tool('tools/deployment/deploy.py'), deploy_cfg, config,
        _checkpoint(config, tmp_path, decisive=task == 'instance-seg'),
        tmp_path, capsys)
    assert (tmp_path / 'out' / 'end2end.xml').is_file()
    bf16 = precision.endswith('bf16')
    if task == 'segmentation':
        agreement = report['vs_pytorch']['pixel_agreement']
        assert agreement > (0.95 if bf16 else 0.999), report
    else:
        _check_detections(report, bf16)


def test_openvino_precision_is_checked():
    from hvt_mm.deployment.openvino_backend import precision_of
    cfg = Config(dict(backend_config=dict(type='openvino')))
    assert precision_of(cfg) == 'fp32'
    cfg.backend_config.precision = 'bf16'
    assert precision_of(cfg) == 'bf16'
    cfg.backend_config.precision = 'int8'
    with pytest.raises(ValueError, match='must be one of'):
        precision_of(cfg)


@pytest.mark.parametrize('name', [
    'instance-seg_tensorrt-fp16_static-800x1344',
    'instance-seg_tensorrt-fp16_dynamic-320x320-1344x1344',
    'segmentation_tensorrt-fp16_static-512x512',
    'segmentation_tensorrt-fp16_dynamic-512x512-2048x2048'
])
def test_tensorrt_configs_are_fp16_with_consistent_shapes(name):
    """No GPU here: what the TensorRT configs say is checked, the engines
    are built where TensorRT is (docs/deployment.md)."""
    from mmdeploy.utils import get_input_shape, is_dynamic_shape
    cfg = Config.fromfile(f'configs/deploy/{name}.py')
    assert cfg.backend_config.type == 'tensorrt'
    assert cfg.backend_config.common_config.fp16_mode
    shapes = cfg.backend_config.model_inputs[0].input_shapes.input
    assert shapes.min_shape <= shapes.opt_shape <= shapes.max_shape
    if is_dynamic_shape(cfg):
        assert shapes.min_shape != shapes.max_shape
    else:
        width, height = get_input_shape(cfg)
        assert shapes.min_shape == shapes.max_shape == [1, 3, height, width]


def test_rpn_rewrite_gives_mmdets_proposals():
    """Under mmdeploy's rewrites (as exported), the RPN keeps exactly
    mmdet's proposals: one NMS per level, no score threshold."""
    from mmdeploy.core import RewriterContext
    from mmdet.models.dense_heads import RPNHead
    from mmengine.config import ConfigDict
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    torch.manual_seed(0)
    head = RPNHead(
        in_channels=8,
        feat_channels=8,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.] * 4,
            target_stds=[1.] * 4),
        test_cfg=ConfigDict(
            nms_pre=300,
            max_per_img=200,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0)).eval()
    with torch.no_grad():
        head.rpn_cls.weight.mul_(3)  # spread objectness, not saturated
    feats = [torch.randn(1, 8, 64 // 2**i, 64 // 2**i) for i in range(5)]
    metas = [dict(img_shape=(256, 256), scale_factor=(1., 1.))]
    deploy_cfg = Config.fromfile(
        'configs/deploy/instance-seg_onnxruntime_static-800x1344.py')
    with torch.no_grad():
        reference = head.predict_by_feat(
            *head(feats), batch_img_metas=metas, rescale=False)[0]
        with RewriterContext(cfg=deploy_cfg, backend='onnxruntime'):
            dets, _ = head.predict_by_feat(*head(feats), batch_img_metas=metas)
    order = reference.scores.argsort(descending=True)
    assert dets.shape[1] == len(reference) == 200
    torch.testing.assert_close(dets[0, :, 4], reference.scores[order])
    torch.testing.assert_close(dets[0, :, :4], reference.bboxes[order])
