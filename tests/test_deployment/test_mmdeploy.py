"""Whole models through mmdeploy to ONNX Runtime (tools/deployment/deploy.py,
hvt_mm.deployment.mmdeploy_support): the deployed prediction equals
PyTorch's, for every family."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.tool_loader import load_tool

mmdeploy_support = pytest.importorskip('hvt_mm.deployment.mmdeploy_support')

SEG_CONFIGS = [
    'upernet_fastervit_0_ade20k', 'upernet_efficientvit_b1_ade20k',
    'upernet_lightvit_t_ade20k', 'upernet_fastvit_sa12_ade20k'
]


def _deploy_cfg(tmp_path, name: str, shape) -> str:
    cfg = Config.fromfile(f'configs/deploy/{name}.py')
    cfg.onnx_config.input_shape = list(shape)
    path = str(tmp_path / 'deploy_cfg.py')
    cfg.dump(path)
    return path


def _checkpoint(config: str, tmp_path) -> str:
    """Random weights with non-trivial BatchNorm statistics."""
    from mmengine.registry import init_default_scope

    from hvt_mm.analysis.model_builder import build_model_from_config
    cfg = Config.fromfile(f'configs/{config}.py')
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


@pytest.mark.slow
@pytest.mark.parametrize('config', SEG_CONFIGS)
def test_segmentor_deploys_with_pytorch_label_maps(config, tmp_path, capsys):
    """256x256: the last map is 8x8, so UperNet's 3x3 and 6x6 pyramid
    pooling bins do not divide it (mmdeploy's own rewrite is off there)."""
    tool = load_tool('tools/deployment/deploy.py')
    deploy_cfg = _deploy_cfg(tmp_path, 'segmentation_onnxruntime_static-'
                             '512x512', (256, 256))
    tool.main([
        deploy_cfg, f'configs/{config}.py',
        _checkpoint(config, tmp_path), '--work-dir',
        str(tmp_path / 'out'), '--verify'
    ])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report['pixel_agreement'] > 0.999, report


@pytest.mark.slow
def test_mask_rcnn_exports_end_to_end_and_runs_in_onnxruntime(tmp_path):
    """NMS, RoIAlign and masks in one graph. Boxes are not compared here:
    with random weights every class scores about 1/80, so the smallest
    difference in the RPN's ranking changes every detection (comparing
    them needs trained weights)."""
    import onnxruntime as ort
    from mmdeploy.backend.onnxruntime.init_plugins import get_ops_path
    config = 'mask_rcnn_efficientvit_b1_coco'
    deploy_cfg = _deploy_cfg(tmp_path, 'instance-seg_onnxruntime_static-'
                             '800x1344', (320, 320))
    model_cfg = str(tmp_path / 'model_cfg.py')
    cfg = Config.fromfile(f'configs/{config}.py')
    cfg.model.backbone.init_cfg = None
    cfg.dump(model_cfg)
    image = (np.random.RandomState(0).rand(320, 320, 3) * 255).astype(np.uint8)
    onnx_file = mmdeploy_support.export(deploy_cfg, model_cfg,
                                        _checkpoint(config, tmp_path), image,
                                        str(tmp_path / 'out'))
    options = ort.SessionOptions()
    if get_ops_path():
        options.register_custom_ops_library(get_ops_path())
    session = ort.InferenceSession(onnx_file, options)
    assert [o.name
            for o in session.get_outputs()] == ['dets', 'labels', 'masks']
    dets, labels, masks = session.run(
        None, {'input': np.random.rand(1, 3, 320, 320).astype(np.float32)})
    assert dets.shape[0] == 1 and dets.shape[2] == 5
    assert labels.shape == dets.shape[:2]
    assert masks.shape == (1, dets.shape[1], 28, 28)
