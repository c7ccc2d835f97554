"""Backbone throughput and peak-memory measurement (engine of
``tools/analysis_tools/benchmark_backbones.py``); its timing, option, table
and report helpers also serve ``tools/analysis_tools/benchmark_segmentor.py``.

One *case* is a model spec, an input size, a batch size and a mode:

* ``eval``: ``model.eval()`` and ``model(x)`` under ``torch.no_grad()``;
* ``train``: ``model.train()``, forward, ``sum(out.float().mean())``,
  backward, gradients dropped (``zero_grad(set_to_none=True)``).

Throughput is the median over ``repeats`` runs of ``iters`` iterations,
after ``warmup`` iterations; CUDA is synchronised around every run.

Peak memory is what one iteration needs *on top of* the model and its
input (activations, gradients, workspaces). It is measured in one extra,
untimed iteration after the timed runs:

* CUDA: ``max_memory_allocated() - memory_allocated()`` with the peak
  counter reset just before; caching-allocator reserve not included.
* CPU (Linux): each case runs in a fresh Python subprocess; freed heap
  memory is returned to the OS (``malloc_trim``), the kernel's peak-RSS
  counter is reset (``/proc/self/clear_refs`` ``5``) and the case reports
  ``VmHWM - VmRSS`` (peak minus resident size at the reset). Resident pages,
  so allocator slack is included: an upper bound of tensor memory. Not
  reported for in-process runs (shared process) or where ``/proc`` does not
  allow the reset.

Run as ``python -m hvt_mm.analysis.backbone_benchmark CASE_JSON [MODULE ...]``
this file measures one case and prints it as ``RESULT_PREFIX`` + JSON; the
modules are imported first (for backbones registered outside hvt_mm).
"""
import argparse
import ctypes
import gc
import importlib
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

RESULT_PREFIX = 'HVT_BENCHMARK_RESULT '
DEFAULT_SETTINGS = ('224x224:8', '800x1333:1')
QUICK_SETTINGS = ('64x64:2', '65x97:1')
MODES = ('eval', 'train')
TIMING_DEFAULTS = dict(warmup=5, iters=10, repeats=5)


@dataclass
class Case:
    """One measurement: ``spec`` at ``height x width``, ``batch`` images."""
    spec: str
    height: int
    width: int
    batch: int
    mode: str
    device: str = 'cpu'
    warmup: int = 5
    iters: int = 10
    repeats: int = 5
    threads: Optional[int] = None


def add_timing_args(parser: argparse.ArgumentParser, quick_help: str) -> None:
    """Options shared by the benchmark tools: device, iteration counts,
    threads and ``--quick`` (finish them with :func:`fill_timing_args`)."""
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    for name, help_text in (('warmup', 'warm-up iterations'),
                            ('iters', 'iterations per timed run'),
                            ('repeats', 'timed runs (median reported)')):
        parser.add_argument(
            f'--{name}', type=int,
            help=f'{help_text} ({TIMING_DEFAULTS[name]})')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--quick', action='store_true', help=quick_help)


def fill_timing_args(args: argparse.Namespace,
                     quick: Dict[str, int]) -> Optional[str]:
    """Fill unset iteration counts (``quick`` values with ``--quick``);
    return an error message for invalid counts, else None."""
    for name, default in TIMING_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, quick[name] if args.quick else default)
    if min(args.iters, args.repeats) < 1 or args.warmup < 0:
        return '--iters and --repeats must be >= 1, --warmup >= 0'
    if args.threads is not None and args.threads < 1:
        return '--threads must be >= 1'
    return None


def _positive_ints(texts: Sequence[str]) -> List[int]:
    values = [int(v) for v in texts]  # ValueError for non-integers
    if min(values) < 1:
        raise ValueError('not positive')
    return values


def parse_size(text: str) -> Tuple[int, int]:
    """``'1024x2048'`` -> (1024, 2048); ``'512'`` is square."""
    try:
        dims = _positive_ints(text.lower().split('x'))
        height, width = dims * 2 if len(dims) == 1 else dims
    except ValueError:
        raise ValueError(f'Bad size {text!r}; use HxW with positive '
                         'integers, e.g. 512x512 or 1024x2048') from None
    return height, width


def parse_setting(text: str) -> Tuple[int, int, int]:
    """``'800x1333:1'`` -> (800, 1333, 1); ``'224:8'`` is square."""
    size, _, batch = text.partition(':')
    try:
        height, width = parse_size(size)
        batch_size, = _positive_ints([batch]) if batch else [1]
    except ValueError:
        raise ValueError(f'Bad setting {text!r}; use HxW:BATCH with '
                         'positive integers, e.g. 224x224:8 or '
                         '800x1333:1') from None
    return height, width, batch_size


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _tensors(output) -> List[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, dict):
        output = list(output.values())
    return [t for o in output for t in _tensors(o)]


def make_step(model: nn.Module, inputs: torch.Tensor,
              mode: str) -> Callable[[], None]:
    """One benchmark iteration in ``mode`` ('eval' or 'train')."""
    if mode == 'eval':
        model.eval()

        def step() -> None:
            with torch.no_grad():
                model(inputs)
    elif mode == 'train':
        model.train()

        def step() -> None:
            outs = _tensors(model(inputs))
            sum(o.float().mean() for o in outs).backward()
            model.zero_grad(set_to_none=True)
    else:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    return step


def time_runs(step: Callable[[], None], device: torch.device, iters: int,
              repeats: int,
              clock: Callable[[], float] = time.perf_counter) -> List[float]:
    """Seconds taken by each of ``repeats`` runs of ``iters`` steps."""
    seconds = []
    for _ in range(repeats):
        _sync(device)
        start = clock()
        for _ in range(iters):
            step()
        _sync(device)
        seconds.append(clock() - start)
    return seconds


class PeakMemory:
    """Peak extra memory (bytes) from :meth:`start` to :meth:`peak`."""

    def __init__(self, device: torch.device, cpu: bool) -> None:
        self.device, self.cpu = device, cpu
        self.base: Optional[int] = None

    @property
    def kind(self) -> Optional[str]:
        if self.device.type == 'cuda':
            return 'cuda_max_allocated'
        return 'cpu_peak_rss' if self.base is not None else None

    def start(self) -> None:
        if self.device.type == 'cuda':
            _sync(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)
        elif self.cpu:
            self.base = _reset_peak_rss()

    def peak(self) -> Optional[int]:
        if self.base is None:
            return None
        if self.device.type == 'cuda':
            return torch.cuda.max_memory_allocated(self.device) - self.base
        return max(_proc_status_bytes('VmHWM') - self.base, 0)


def _proc_status_bytes(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024  # reported in kB
    raise OSError(f'{field} not in /proc/self/status')


def _reset_peak_rss() -> Optional[int]:
    """Reset the kernel's peak RSS to the current RSS and return it.

    Freed tensors first go back to the OS (``malloc_trim``); glibc would
    otherwise keep them resident and hide the next iteration's needs.
    """
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return _proc_status_bytes('VmRSS')
    except OSError:
        return None


def resolve_device(name: str) -> torch.device:
    """``torch.device(name)``; fails clearly when CUDA is not there."""
    device = torch.device(name)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda requested but CUDA is not '
                           'available in this torch build/machine.')
    return device


def median_throughput(seconds: Sequence[float], iters: int,
                      batch: int) -> Tuple[float, List[float]]:
    """Median img/s and the img/s of every run of ``iters`` x ``batch``."""
    rates = [iters * batch / s for s in seconds]
    return statistics.median(rates), rates


def run_case(case: Case, build: Optional[Callable[[str], nn.Module]] = None,
             measure_cpu_memory: bool = False) -> Dict:
    """Measure one case in this process and return its record."""
    if build is None:
        from .model_spec import build_from_spec as build
    if case.threads:
        torch.set_num_threads(case.threads)
    device = resolve_device(case.device)
    torch.manual_seed(0)
    model = build(case.spec).to(device)
    inputs = torch.randn(
        case.batch, getattr(model, 'in_channels', 3), case.height,
        case.width, device=device)
    step = make_step(model, inputs, case.mode)
    params = sum(p.numel() for p in model.parameters())

    for _ in range(case.warmup):
        step()
    seconds = time_runs(step, device, case.iters, case.repeats)
    # Memory in a separate, untimed iteration: its set-up (trimming the
    # heap) would distort the timing.
    memory = PeakMemory(device, cpu=measure_cpu_memory)
    memory.start()
    step()
    peak = memory.peak()

    img_s, rates = median_throughput(seconds, case.iters, case.batch)
    return dict(
        **asdict(case),
        params_m=params / 1e6,
        img_s=img_s,
        ms_per_img=1000.0 / img_s,
        img_s_runs=rates,
        peak_mem_mb=None if peak is None else peak / 2**20,
        mem_kind=memory.kind,
        torch=torch.__version__,
        num_threads=torch.get_num_threads(),
        error=None)


def run_case_isolated(case: Case, imports: Sequence[str] = (),
                      timeout: Optional[float] = None) -> Dict:
    """Measure one case in a fresh Python process (clean peak memory)."""
    repo_root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (repo_root, env.get('PYTHONPATH')) if p)
    cmd = [sys.executable, '-m', 'hvt_mm.analysis.backbone_benchmark',
           json.dumps(asdict(case)), *imports]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return error_record(case, ' | '.join(tail) or f'exit {proc.returncode}')


def error_record(case: Case, message: str) -> Dict:
    return dict(**asdict(case), error=message)


def fmt_number(value: Optional[float], digits: int) -> str:
    """``value`` with ``digits`` decimals, ``-`` for None."""
    return '-' if value is None else f'{value:.{digits}f}'


def markdown_table(records: Sequence[Dict]) -> str:
    """Markdown table of benchmark records (errors in their own column)."""
    columns = [('model', 'l'), ('input', 'l'), ('batch', 'r'), ('mode', 'l'),
               ('img/s (median)', 'r'), ('ms/img', 'r'),
               ('peak mem (MB)', 'r'), ('params (M)', 'r'), ('note', 'l')]
    rows = [[
        r['spec'], f"{r['height']}x{r['width']}", r['batch'], r['mode'],
        fmt_number(r.get('img_s'), 2), fmt_number(r.get('ms_per_img'), 2),
        fmt_number(r.get('peak_mem_mb'), 1),
        fmt_number(r.get('params_m'), 2), r.get('error') or ''
    ] for r in records]
    return markdown_grid(columns, rows)


def markdown_grid(columns: Sequence[Tuple[str, str]],
                  rows: Sequence[Sequence]) -> str:
    """Markdown table; ``columns`` are (title, 'l' or 'r' alignment)."""
    align = {'l': ':--', 'r': '--:'}
    lines = ['| ' + ' | '.join(title for title, _ in columns) + ' |',
             '|' + '|'.join(align[side] for _, side in columns) + '|']
    lines += ['| ' + ' | '.join(str(v) for v in row) + ' |' for row in rows]
    return '\n'.join(lines)


def write_report(out_dir: str, records: Sequence[Dict], table: str,
                 stem: str = 'benchmark', **extra) -> Tuple[str, str]:
    """Write ``{stem}.json`` (environment, ``extra``, records) and
    ``{stem}.md`` (environment line and ``table``) to ``out_dir``."""
    env = environment()
    os.makedirs(out_dir, exist_ok=True)
    json_path = osp.join(out_dir, f'{stem}.json')
    md_path = osp.join(out_dir, f'{stem}.md')
    with open(json_path, 'w') as f:
        json.dump(dict(environment=env, **extra, results=list(records)), f,
                  indent=2)
    with open(md_path, 'w') as f:
        f.write(f'Environment: {json.dumps(env)}\n\n{table}\n')
    return json_path, md_path


def environment() -> Dict:
    """What the numbers depend on, stored next to them."""
    info = dict(
        torch=torch.__version__,
        python=platform.python_version(),
        machine=platform.machine(),
        cpu_threads=torch.get_num_threads(),
        cuda_device=None)
    if torch.cuda.is_available():
        info['cuda_device'] = torch.cuda.get_device_name()
    return info


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
