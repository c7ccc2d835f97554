"""Whole detectors and segmentors through mmdeploy 1.3.1 on current torch.

Imported only when deploying (``tools/deployment/deploy.py``); importing it
registers one mmdeploy rewriter and provides one torch name, both listed
here, and nothing else changes until :func:`export` runs:

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
  logits off by about 1 %). For static shapes, the rewriter here averages
  exactly PyTorch's bins ``[floor(i * n / out), ceil((i + 1) * n / out))``;
  dynamic shapes keep mmdeploy's rewrite (the sizes are not known).
"""
import contextlib
import functools
import math
from typing import Iterator, Optional, Sequence, Tuple

import torch
import torch.onnx.symbolic_opset9 as opset9
from mmdeploy.core import FUNCTION_REWRITER
from mmdeploy.pytorch.functions.adaptive_pool import \
    adaptive_avg_pool2d__default
from mmdeploy.utils import is_dynamic_shape
from torch.nn.modules.utils import _pair

#: Backends whose exports use the exact adaptive pooling.
EXACT_POOL_BACKENDS: Tuple[str, ...] = ('onnxruntime', 'openvino', 'tensorrt')


def _cast_long(g, input, non_blocking):
    return g.op('Cast', input, to_i=torch.onnx.TensorProtoDataType.INT64)


if not hasattr(opset9, '_cast_Long'):
    opset9._cast_Long = _cast_long


def _bins(size: int, out: int) -> Sequence[Tuple[int, int]]:
    """PyTorch's adaptive-pooling bins along one axis."""
    return [((i * size) // out, math.ceil((i + 1) * size / out))
            for i in range(out)]


def exact_adaptive_avg_pool2d(x: torch.Tensor, output_size) -> torch.Tensor:
    """``F.adaptive_avg_pool2d`` written with slices and means (static
    sizes), which every ONNX backend runs as PyTorch computes it."""
    height, width = int(x.shape[-2]), int(x.shape[-1])
    out_h, out_w = (s if s is not None else n
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
    if is_dynamic_shape(ctx.cfg):  # sizes unknown: mmdeploy's rewrite
        return adaptive_avg_pool2d__default(input, output_size)
    if all(o == 1 for o in _pair(output_size)):
        return ctx.origin_func(input, output_size)  # GlobalAveragePool
    return exact_adaptive_avg_pool2d(input, output_size)


for _backend in EXACT_POOL_BACKENDS:
    FUNCTION_REWRITER.register_rewriter(
        func_name='torch.nn.functional.adaptive_avg_pool2d', backend=_backend)(
            _adaptive_avg_pool2d)


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


def compare_predictions(reference, deployed) -> dict:
    """How far a deployed model's prediction is from PyTorch's, for one
    image: ``pixel_agreement`` of label maps (segmentation), or the numbers
    of boxes, the smallest IoU of a PyTorch box with its best deployed box
    of the same label and their largest score difference (detection)."""
    if hasattr(reference, 'pred_sem_seg'):
        ours, theirs = (s.pred_sem_seg.data for s in (reference, deployed))
        return dict(pixel_agreement=(ours == theirs).float().mean().item())
    from mmdet.structures.bbox import bbox_overlaps
    ref, dep = reference.pred_instances, deployed.pred_instances
    result = dict(boxes=len(ref), deployed_boxes=len(dep))
    if len(ref) and len(dep):
        # Each PyTorch box against its best deployed box of the same label
        # (score order is unstable between near-equal scores).
        ious = bbox_overlaps(ref.bboxes, dep.bboxes)
        ious = ious * (ref.labels[:, None] == dep.labels[None, :])
        best, index = ious.max(1)
        result.update(
            min_box_iou=best.min().item(),
            max_score_diff=(ref.scores - dep.scores[index]).abs().max().item())
    return result


def verify(deploy_cfg: str,
           model_cfg: str,
           checkpoint: Optional[str],
           backend_files: Sequence[str],
           image,
           device: str = 'cpu') -> dict:
    """Run PyTorch (built as mmdeploy builds it) and the deployed model on
    ``image``; returns :func:`compare_predictions`."""
    from mmdeploy.apis.utils import build_task_processor
    from mmdeploy.utils import get_input_shape, load_config
    deploy_cfg, model_cfg = load_config(deploy_cfg, model_cfg)
    processor = build_task_processor(model_cfg, deploy_cfg, device)
    pytorch_model = processor.build_pytorch_model(checkpoint)
    backend_model = processor.build_backend_model(list(backend_files))
    inputs, _ = processor.create_input(image, get_input_shape(deploy_cfg))
    with torch.no_grad():
        reference = pytorch_model.test_step(inputs)[0]
        deployed = backend_model.test_step(inputs)[0]
    return compare_predictions(reference, deployed)


__all__ = [
    'EXACT_POOL_BACKENDS', 'compare_predictions', 'exact_adaptive_avg_pool2d',
    'export', 'torchscript_exporter', 'verify'
]
