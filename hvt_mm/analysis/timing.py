"""The one measurement of the benchmark tools (:func:`measure_step`) and
the command-line options that control it (device, iteration counts, input
sizes).

A measurement is ``warmup`` untimed calls (the first one timed alone: it
compiles a compiled model), then the median img/s over ``repeats`` runs of
``iters`` calls (:mod:`hvt_mm.engine.timing`, CUDA synchronised around
every run), then the peak extra memory of one more, untimed call
(:mod:`.memory`; its set-up would distort the timing).
"""
import argparse
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

from ..engine.timing import median_throughput, time_runs
from .memory import PeakMemory

TIMING_DEFAULTS = dict(warmup=5, iters=10, repeats=5)


def measure_step(step: Callable[[], None],
                 device: torch.device,
                 warmup: int,
                 iters: int,
                 repeats: int,
                 batch: int,
                 cpu_memory: bool = False) -> Dict:
    """img/s, first-call seconds and peak extra memory of ``step`` (each
    call ``batch`` images); CPU memory only when ``cpu_memory`` (a fresh
    process: see :mod:`.memory`)."""
    first_s = time_runs(step, device, 1, 1)[0] if warmup else None
    for _ in range(warmup - 1):
        step()
    img_s, rates = median_throughput(
        time_runs(step, device, iters, repeats), iters, batch)
    memory = PeakMemory(device, cpu=cpu_memory)
    memory.start()
    step()
    peak = memory.peak()
    return dict(
        img_s=img_s,
        ms_per_img=1000.0 / img_s,
        img_s_runs=rates,
        peak_mem_mb=None if peak is None else peak / 2**20,
        mem_kind=memory.kind,
        first_call_s=first_s)


def add_timing_args(parser: argparse.ArgumentParser, quick_help: str) -> None:
    """Options shared by the benchmark tools: device, iteration counts,
    threads and ``--quick`` (finish them with :func:`fill_timing_args`)."""
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    for name, help_text in (('warmup', 'warm-up iterations'),
                            ('iters', 'iterations per timed run'),
                            ('repeats', 'timed runs (median reported)')):
        parser.add_argument(
            f'--{name}',
            type=int,
            help=f'{help_text} ({TIMING_DEFAULTS[name]})')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--quick', action='store_true', help=quick_help)


def fill_timing_args(
        args: argparse.Namespace,
        quick: Dict[str, int],
        defaults: Dict[str, int] = TIMING_DEFAULTS) -> Optional[str]:
    """Fill unset iteration counts (``quick`` values with ``--quick``, else
    ``defaults``); return an error message for invalid counts, else None."""
    for name, default in defaults.items():
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


def resolve_device(name: str) -> torch.device:
    """``torch.device(name)``; fails clearly when CUDA is not there."""
    device = torch.device(name)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda requested but CUDA is not '
                           'available in this torch build/machine.')
    return device
