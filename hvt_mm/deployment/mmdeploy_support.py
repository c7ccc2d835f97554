"""Whole detectors and segmentors through mmdeploy 1.3.1 on current torch.

Imported only when deploying (``tools/deployment/deploy.py``); importing it
registers five mmdeploy rewriters, one backend and one segmentation model
type and provides one torch name, all listed here, and nothing else
changes until :func:`export` runs:

* **Exporter.** Since torch 2.9 ``torch.onnx.export`` defaults to
  ``dynamo=True``, which mmdeploy's rewriters and configs do not support
  (``No Adapter To Version $17 for Pad``); :func:`torchscript_exporter`
  makes mmdeploy's call use the TorchScript exporter, for the duration of
  one export only.
* **RoIAlign.** mmdeploy's ONNX Runtime RoIAlign symbolic imports
  ``torch.onnx.symbolic_opset9._cast_Long``, which current torch no longer
  has; it is provided (a cast to int64) when missing.
* **Adaptive average pooling.** mmdeploy's default rewrite of
  ``F.adaptive_avg_pool2d`` (UperNet's pyramid pooling) is an average pool
  with kernel ``int(size / output)``: wrong whenever the output size does
  not divide the input (8x8 maps pooled to 3x3 and 6x6 at 256x256 input:
  logits off by about 1 %), and for dynamic shapes the kernel is fixed at
  the traced size. The rewriter here averages exactly PyTorch's bins
  ``[floor(i * n / out), ceil((i + 1) * n / out))``, computed from the
  traced input size, so dynamic exports pool right at every size.
* **Attention.** mmdeploy's default rewrite of
  ``F.scaled_dot_product_attention`` ends in ``torch.dropout(..., True)``:
  a training-mode ``Dropout`` node (ratio 0) that OpenVINO refuses to
  convert. The attention of FasterViT, LightViT and FastViT is exported by
  torch's own opset-14 symbolic instead (no dropout when ``dropout_p`` is 0).
* **RPN proposals.** mmdeploy's ``RPNHead.predict_by_feat`` rewrite runs
  one NMS over all pyramid levels; the rewriter registered here
  (:mod:`hvt_mm.deployment.rpn_rewrite`) runs mmdet's one NMS per level
  (and its size filter) instead.
* **Cascade stages.** mmdeploy's ``CascadeRoIHead.predict_bbox`` rewrite
  supports class-agnostic box regression only; the one registered here
  (:mod:`hvt_mm.deployment.cascade_rewrite`) also refines proposals per
  class, as mmdet does.
* **R-CNN boxes.** mmdeploy's ``BBoxHead.predict_by_feat`` rewrite gives
  all classes of a proposal the box of its best class; the one registered
  here (:mod:`hvt_mm.deployment.bbox_head_rewrite`) keeps each class's own
  box, as mmdet does.
* **Segmentation post-processing.** mmdeploy resizes the graph's label
  map to the original image size by nearest-neighbour sampling, mmseg
  resizes logits bilinearly; our deploy configs export logits and use
  :mod:`hvt_mm.deployment.seg_backend_model` (``model_type=
  'mmseg_postprocess'``), which post-processes them with mmseg's code.
* **OpenVINO.** mmdeploy's ``openvino`` backend manager is replaced by
  :mod:`hvt_mm.deployment.openvino_backend` (mmdeploy's needs the removed
  Model Optimizer and ``openvino.inference_engine``).

Predictions of deployed models are checked against PyTorch's in
:mod:`hvt_mm.deployment.verification`.
"""
import contextlib
import functools
from typing import Iterator, List, Optional, Sequence, Tuple

import torch
import torch.onnx.symbolic_opset9 as opset9
from mmdeploy.core import FUNCTION_REWRITER
from torch.nn.modules.utils import _pair

from ..utils.errors import UsageError
from . import openvino_backend  # noqa: F401  (registers the backend)
from . import seg_backend_model  # noqa: F401  (registers the model type)
from .bbox_head_rewrite import bbox_head__predict_by_feat__per_class_boxes
from .cascade_rewrite import cascade_roi_head__predict_bbox__by_class
from .rpn_rewrite import rpn_head__predict_by_feat__per_level_nms

#: Backends whose exports get our rewriters (adaptive pooling, RPN,
#: attention, cascade, R-CNN boxes).
REWRITE_BACKENDS: Tuple[str, ...] = ('onnxruntime', 'openvino', 'tensorrt')


def _cast_long(g, input, non_blocking):
    return g.op('Cast', input, to_i=torch.onnx.TensorProtoDataType.INT64)


if not hasattr(opset9, '_cast_Long'):
    opset9._cast_Long = _cast_long


def _bins(size, out: int) -> Sequence[tuple]:
    """PyTorch's adaptive-pooling bins along one axis,
    ``[floor(i * size / out), ceil((i + 1) * size / out))``, in integer
    arithmetic so that a traced ``size`` stays symbolic."""
    return [((i * size) // out, ((i + 1) * size + out - 1) // out)
            for i in range(out)]


def exact_adaptive_avg_pool2d(x: torch.Tensor, output_size) -> torch.Tensor:
    """``F.adaptive_avg_pool2d`` written with slices and means, which every
    ONNX backend runs as PyTorch computes it; under the exporter's tracer
    the bin edges follow the input size (dynamic shapes)."""
    height, width = x.shape[-2], x.shape[-1]
    out_h, out_w = (int(n) if s is None else s
                    for s, n in zip(_pair(output_size), (height, width)))
    rows = [
        torch.cat([
            x[..., h0:h1, w0:w1].mean((-2, -1), keepdim=True)
            for w0, w1 in _bins(width, out_w)
        ], -1) for h0, h1 in _bins(height, out_h)
    ]
    return torch.cat(rows, -2)


def _adaptive_avg_pool2d(input: torch.Tensor, output_size):
    ctx = FUNCTION_REWRITER.get_context()
    if all(o == 1 for o in _pair(output_size)):
        return ctx.origin_func(input, output_size)  # GlobalAveragePool
    return exact_adaptive_avg_pool2d(input, output_size)


def _scaled_dot_product_attention(*args, **kwargs):
    return FUNCTION_REWRITER.get_context().origin_func(*args, **kwargs)


for _backend in REWRITE_BACKENDS:
    FUNCTION_REWRITER.register_rewriter(
        func_name='torch.nn.functional.scaled_dot_product_attention',
        backend=_backend)(
            _scaled_dot_product_attention)
    FUNCTION_REWRITER.register_rewriter(
        func_name='torch.nn.functional.adaptive_avg_pool2d', backend=_backend)(
            _adaptive_avg_pool2d)
    FUNCTION_REWRITER.register_rewriter(
        func_name='mmdet.models.dense_heads.rpn_head.RPNHead.predict_by_feat',
        backend=_backend)(
            rpn_head__predict_by_feat__per_level_nms)
    FUNCTION_REWRITER.register_rewriter(
        func_name='mmdet.models.roi_heads.cascade_roi_head.CascadeRoIHead.'
        'predict_bbox',
        backend=_backend)(
            cascade_roi_head__predict_bbox__by_class)
    FUNCTION_REWRITER.register_rewriter(
        func_name='mmdet.models.roi_heads.bbox_heads.bbox_head.BBoxHead.'
        'predict_by_feat',
        backend=_backend)(
            bbox_head__predict_by_feat__per_class_boxes)


@contextlib.contextmanager
def torchscript_exporter() -> Iterator[None]:
    """``torch.onnx.export`` defaults to the TorchScript exporter inside."""
    original = torch.onnx.export
    torch.onnx.export = functools.partial(original, dynamo=False)
    try:
        yield
    finally:
        torch.onnx.export = original


def export(deploy_cfg: str,
           model_cfg: str,
           checkpoint: Optional[str],
           image,
           work_dir: str,
           save_file: str = 'end2end.onnx',
           device: str = 'cpu') -> str:
    """Export a whole model with mmdeploy's ``torch2onnx``; returns the
    ONNX file's path. ``image`` is a path or an ``(H, W, 3)`` uint8 array
    (the test pipeline of ``model_cfg`` prepares it)."""
    from mmdeploy.apis import torch2onnx
    with torchscript_exporter():
        torch2onnx(image, work_dir, save_file, deploy_cfg, model_cfg,
                   checkpoint, device)
    return f'{work_dir}/{save_file}'


def check_deployable(deploy_cfg, model_cfg) -> None:
    """Refuse, before exporting, mmseg post-processing for a decode head
    that aligns corners (:mod:`hvt_mm.deployment.seg_backend_model`) and a
    dynamic-shape deploy config for a backbone family that computes its
    geometry in Python from the input size (FasterViT, LightViT:
    ``static_export_reason``): the graph would be right at the traced size
    only."""
    from mmdeploy.utils import get_codebase_config, is_dynamic_shape

    from ..registry import MODELS
    codebase = get_codebase_config(deploy_cfg)
    if codebase.get('model_type') == 'mmseg_postprocess' and \
            model_cfg.model.decode_head.get('align_corners'):
        raise UsageError(
            'model_type="mmseg_postprocess" resizes logits with '
            'align_corners=False, but the decode head aligns corners: remove '
            'model_type and set with_argmax=True in the deploy config')
    if not is_dynamic_shape(deploy_cfg):
        return
    backbone = MODELS.get(model_cfg.model.backbone.type)
    reason = getattr(backbone, 'static_export_reason', None)
    if reason:
        raise UsageError(
            f'{backbone.__name__} cannot be deployed with dynamic shapes: '
            f'{reason} Use a static deploy config (configs/deploy/'
            '*_static-*.py) with onnx_config.input_shape = [width, height] '
            'of your inputs, one export per size.')


def deploy(deploy_cfg: str,
           model_cfg: str,
           checkpoint: Optional[str],
           image,
           work_dir: str,
           device: str = 'cpu') -> List[str]:
    """Export with :func:`export`, then convert for the deploy config's
    backend; returns the backend files (ONNX Runtime: the ONNX file;
    OpenVINO: the ``.xml`` IR; TensorRT: the engine)."""
    from mmdeploy.apis.utils import to_backend
    from mmdeploy.utils import get_backend, load_config
    deploy_config, model_config = load_config(deploy_cfg, model_cfg)
    check_deployable(deploy_config, model_config)
    onnx_file = export(
        deploy_cfg, model_cfg, checkpoint, image, work_dir, device=device)
    backend = get_backend(deploy_config).value
    if backend == 'onnxruntime':
        return [onnx_file]
    return list(
        to_backend(
            backend, [onnx_file],
            work_dir,
            deploy_cfg=deploy_config,
            device=device))


__all__ = [
    'REWRITE_BACKENDS', 'check_deployable', 'deploy',
    'exact_adaptive_avg_pool2d', 'export', 'torchscript_exporter'
]
