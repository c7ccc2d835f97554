"""Backbone throughput and peak-memory measurement (engine of
``tools/analysis_tools/benchmark_backbones.py``).

One *case* is a model spec, an input size, a batch size and a mode:

* ``eval``: ``model.eval()`` and ``model(x)`` under ``torch.no_grad()``;
* ``train``: ``model.train()``, forward, ``sum(out.float().mean())``,
  backward, gradients dropped (``zero_grad(set_to_none=True)``).

Throughput is timed as :mod:`.timing` describes. Peak memory
(:mod:`.memory`) is measured in one extra, untimed iteration after the timed
runs; on CPU only when the case runs in a fresh Python subprocess
(:func:`run_case_isolated`, the tool's default), not for in-process runs
(shared process).

Run as ``python -m hvt_mm.analysis.backbone_benchmark CASE_JSON [MODULE ...]``
this file measures one case and prints it as ``RESULT_PREFIX`` + JSON; the
modules are imported first (for backbones registered outside hvt_mm).
"""
import importlib
import json
import os
import os.path as osp
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from .memory import measure_step
from .model_spec import build_from_spec
from .report import fmt_number, markdown_grid
from .timing import TIMING_DEFAULTS, resolve_device

RESULT_PREFIX = 'HVT_BENCHMARK_RESULT '
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

    for _ in range(case.warmup):
        step()
    # Memory in a separate, untimed iteration: its set-up (trimming the
    # heap) would distort the timing.
    measured = measure_step(step, device, case.iters, case.repeats, case.batch,
                            measure_cpu_memory)
    return dict(
        **asdict(case),
        params_m=params / 1e6,
        **measured,
        torch=torch.__version__,
        num_threads=torch.get_num_threads(),
        error=None)


def run_case_isolated(case: Case,
                      imports: Sequence[str] = (),
                      timeout: Optional[float] = None) -> Dict:
    """Measure one case in a fresh Python process (clean peak memory)."""
    # The child imports the same hvt_mm as this process, e.g. a checkout
    # on sys.path rather than the installed copy.
    repo_root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (repo_root, env.get('PYTHONPATH')) if p)
    cmd = [
        sys.executable, '-m', 'hvt_mm.analysis.backbone_benchmark',
        json.dumps(asdict(case)), *imports
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return error_record(case, ' | '.join(tail) or f'exit {proc.returncode}')


def error_record(case: Case, message: str) -> Dict:
    return dict(**asdict(case), error=message)


def markdown_table(records: Sequence[Dict]) -> str:
    """Markdown table of benchmark records (errors in their own column)."""
    columns = [('model', 'l'), ('input', 'l'), ('batch', 'r'), ('mode', 'l'),
               ('img/s (median)', 'r'), ('ms/img', 'r'),
               ('peak mem (MB)', 'r'), ('params (M)', 'r'), ('note', 'l')]
    rows = [[
        r['spec'], f"{r['height']}x{r['width']}", r['batch'], r['mode'] +
        ('' if r.get('precision', 'fp32') == 'fp32' else f" {r['precision']}"),
        fmt_number(r.get('img_s'), 2),
        fmt_number(r.get('ms_per_img'), 2),
        fmt_number(r.get('peak_mem_mb'), 1),
        fmt_number(r.get('params_m'), 2),
        r.get('error') or ''
    ] for r in records]
    return markdown_grid(columns, rows)


def _worker(argv: Sequence[str]) -> int:
    for module in argv[1:]:
        importlib.import_module(module)
    case = Case(**json.loads(argv[0]))
    try:
        record = run_case(case, measure_cpu_memory=True)
    except Exception as exc:  # reported in the table, the suite goes on
        record = error_record(case, f'{type(exc).__name__}: {exc}')
    print(RESULT_PREFIX + json.dumps(record), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(_worker(sys.argv[1:]))
