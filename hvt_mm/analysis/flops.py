"""FLOP (MAC) counting with mmengine's FlopAnalyzer, SDPA included.

mmengine, like fvcore, reports multiply-accumulates and calls them "flops";
we keep that convention (1 MAC = 1 "flop"). Its analyzer has no handle for
``aten::scaled_dot_product_attention``, so attention written with
``torch.nn.functional.scaled_dot_product_attention`` would count as zero.
"""
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape

SDPA_OP = 'aten::scaled_dot_product_attention'


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """MACs of ``softmax(q @ k^T) @ v`` for q (..., L, E), k (..., S, E),
    v (..., S, Ev): ``prod(...) * L * S * (E + Ev)``.

    Leading dims are taken from q (k/v broadcast, grouped-query attention
    repeats k/v heads). Softmax, scaling and masking are element-wise and
    not counted, as for every other element-wise op in mmengine.
    """
    q_shape, k_shape, v_shape = (get_shape(v) for v in inputs[:3])
    if q_shape is None or k_shape is None or v_shape is None:
        raise ValueError('scaled_dot_product_attention traced without '
                         'complete shapes; trace with concrete inputs.')
    *batch, length, embed = q_shape
    return math.prod(batch) * length * k_shape[-2] * (embed + v_shape[-1])


def flop_analyzer(model: nn.Module, inputs: Tuple[Any, ...]) -> FlopAnalyzer:
    """A FlopAnalyzer for ``model(*inputs)`` that also counts SDPA."""
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.set_op_handle(SDPA_OP, sdpa_flop_jit)
    return analyzer


@dataclass
class FlopReport:
    """Result of :func:`count_flops` (``flops`` are MACs)."""
    flops: int
    params: int
    input_shape: Tuple[int, ...]
    by_operator: Dict[str, int] = field(default_factory=dict)
    by_module: Dict[str, int] = field(default_factory=dict)
    unsupported: Dict[str, int] = field(default_factory=dict)


def count_flops(model: nn.Module,
                inputs: Sequence[Any],
                input_shape: Optional[Tuple[int, ...]] = None,
                max_depth: int = 2) -> FlopReport:
    """Count MACs of ``model(*inputs)`` in eval mode without gradients.

    Args:
        model: The module; traced with ``torch.jit.trace``.
        inputs: Positional inputs of ``forward``.
        input_shape: Shape recorded in the report (defaults to the first
            input's shape).
        max_depth: Module nesting kept in ``by_module``.
    """
    model.eval()
    inputs = tuple(inputs)
    with torch.no_grad():
        analyzer = flop_analyzer(model, inputs)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        total = analyzer.total()
        by_module = {
            name: count
            for name, count in analyzer.by_module().items()
            if name.count('.') < max_depth
        }
        report = FlopReport(
            flops=total,
            params=parameter_count(model)[''],
            input_shape=tuple(input_shape or inputs[0].shape),
            by_operator=dict(analyzer.by_operator()),
            by_module=by_module,
            unsupported=dict(analyzer.unsupported_ops()))
    return report


class _TensorForward(nn.Module):
    """Adapter so the tracer sees ``forward(inputs)`` of an mm model.

    Detectors need data samples with image metainfo for their RPN/RoI
    heads; they are fixed here because the tracer only takes tensors.
    """

    def __init__(self, model: nn.Module, data_samples: Optional[list]):
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, inputs: torch.Tensor) -> Any:
        return self.model(inputs, self.data_samples, mode='tensor')


def fake_data_samples(model: nn.Module, batch: int, height: int,
                      width: int) -> Optional[list]:
    """Data samples carrying only image metainfo, for mmdet detectors."""
    if not type(model).__module__.startswith('mmdet.'):
        return None
    from mmdet.structures import DetDataSample
    meta = dict(
        img_shape=(height, width),
        ori_shape=(height, width),
        pad_shape=(height, width),
        batch_input_shape=(height, width),
        scale_factor=(1.0, 1.0))
    return [DetDataSample(metainfo=meta) for _ in range(batch)]


def count_model_flops(model: nn.Module,
                      shape: Tuple[int, int],
                      in_channels: int = 3,
                      max_depth: int = 2) -> FlopReport:
    """MACs of an mmdet/mmseg model or a bare backbone for one image.

    OpenMMLab models (those with a ``data_preprocessor``) are run as
    ``model(inputs, data_samples, mode='tensor')`` on an already normalised
    (1, C, H, W) tensor, i.e. the data preprocessor is excluded; detectors
    count backbone, neck, RPN and RoI heads (no NMS); segmentors count the
    backbone and decode heads. A bare backbone is called as ``model(x)``.
    """
    height, width = shape
    inputs = torch.randn(1, in_channels, height, width)
    if not hasattr(model, 'data_preprocessor'):
        return count_flops(model, (inputs, ), max_depth=max_depth)
    adapter = _TensorForward(model, fake_data_samples(model, 1, height, width))
    report = count_flops(adapter, (inputs, ), max_depth=max_depth + 1)
    # Drop the adapter level so that module names match the config.
    report.by_module = {
        name.partition('.')[2]: count
        for name, count in report.by_module.items() if name
    }
    return report


def format_count(value: float) -> str:
    """Human-readable count: 4.59G, 12.3M, 870K."""
    for unit, scale in (('T', 1e12), ('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if abs(value) >= scale:
            return f'{value / scale:.3g}{unit}'
    return f'{value:.3g}'
