"""Backbone throughput and peak-memory measurement (engine of
``tools/analysis_tools/benchmark_backbones.py``).

One *case* is a model spec, an input size, a batch size and a mode:

* ``eval``: ``model.eval()`` and ``model(x)`` under ``torch.no_grad()``;
* ``train``: ``model.train()``, forward, ``sum(out.float().mean())``,
  backward, gradients dropped (``zero_grad(set_to_none=True)``).

Throughput and peak memory are measured as :func:`.timing.measure_step`
describes; CPU peak memory only when the case runs in a fresh process
(:func:`measure_case`'s default, :mod:`.isolation`).
"""
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from .isolation import error_text, run_isolated
from .model_spec import build_from_spec
from .report import BATCH, INPUT, MEMORY_PARAMS_NOTE, SPEED, record_table
from .timing import TIMING_DEFAULTS, measure_step, resolve_device

DEFAULT_SETTINGS = ('224x224:8', '800x1333:1')
QUICK_SETTINGS = ('64x64:2', '65x97:1')
MODES = ('eval', 'train')
#: Autocast dtype per precision (bf16: CPUs with AVX-512 BF16/AMX and
#: recent GPUs; fp16: CUDA).
PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}


@dataclass
class Case:
    """One measurement: ``spec`` at ``height x width``, ``batch`` images."""
    spec: str
    height: int
    width: int
    batch: int
    mode: str
    device: str = 'cpu'
    warmup: int = TIMING_DEFAULTS['warmup']
    iters: int = TIMING_DEFAULTS['iters']
    repeats: int = TIMING_DEFAULTS['repeats']
    threads: Optional[int] = None
    precision: str = 'fp32'


def flatten_tensors(value) -> List[torch.Tensor]:
    """The tensors in nested tuples, lists and dicts (other leaves, e.g.
    None, are skipped)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flatten_tensors(v)]
    return []


def make_step(model: nn.Module,
              inputs: torch.Tensor,
              mode: str,
              precision: str = 'fp32') -> Callable[[], None]:
    """One benchmark iteration in ``mode`` ('eval' or 'train'), under
    autocast to ``precision`` ('bf16', 'fp16') unless 'fp32'."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {tuple(PRECISIONS)}, '
                         f'got {precision!r}')
    dtype = PRECISIONS[precision]

    def forward():
        if dtype is None:
            return model(inputs)
        with torch.autocast(inputs.device.type, dtype=dtype):
            return model(inputs)

    if mode == 'eval':
        model.eval()

        def step() -> None:
            with torch.no_grad():
                forward()
    elif mode == 'train':
        model.train()

        def step() -> None:
            outs = flatten_tensors(forward())
            sum(o.float().mean() for o in outs).backward()
            model.zero_grad(set_to_none=True)
    else:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    return step


def run_case(case: Case,
             build: Optional[Callable[[str], nn.Module]] = None,
             measure_cpu_memory: bool = False) -> Dict:
    """Measure one case in this process and return its record."""
    if build is None:
        build = build_from_spec
    if case.threads:
        torch.set_num_threads(case.threads)
    device = resolve_device(case.device)
    torch.manual_seed(0)
    model = build(case.spec).to(device)
    inputs = torch.randn(
        case.batch,
        getattr(model, 'in_channels', 3),
        case.height,
        case.width,
        device=device)
    step = make_step(model, inputs, case.mode, case.precision)
    params = sum(p.numel() for p in model.parameters())
    measured = measure_step(step, device, case.warmup, case.iters,
                            case.repeats, case.batch, measure_cpu_memory)
    return dict(
        **asdict(case),
        params_m=params / 1e6,
        **measured,
        torch=torch.__version__,
        num_threads=torch.get_num_threads(),
        error=None)


def measure_case(case: Case,
                 isolated: bool = True,
                 imports: Sequence[str] = ()) -> Dict:
    """:func:`run_case` in a fresh process (clean CPU peak memory; the
    child imports ``imports`` first) or in this one; a failure becomes the
    case's error record, so the other cases go on."""
    try:
        if isolated:
            return run_isolated(
                run_case, case, measure_cpu_memory=True, imports=imports)
        return run_case(case)
    except Exception as exc:
        return dict(**asdict(case), error=error_text(exc))


def markdown_table(records: Sequence[Dict]) -> str:
    """Markdown table of benchmark records (errors in their own column)."""

    def mode(r: Dict) -> str:
        precision = r.get('precision', 'fp32')
        return r['mode'] + ('' if precision == 'fp32' else f' {precision}')

    return record_table(
        records, [('model', 'l', 'spec', None), INPUT, BATCH,
                  ('mode', 'l', mode, None), *SPEED, *MEMORY_PARAMS_NOTE])
