"""Timing loop, medians and device choice shared by the benchmarks, with
the command-line options that control them (iteration counts, input sizes).

Throughput is the median over ``repeats`` runs of ``iters`` iterations,
after ``warmup`` iterations; CUDA is synchronised around every run.
"""
import argparse
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

TIMING_DEFAULTS = dict(warmup=5, iters=10, repeats=5)


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


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work (no-op on CPU), so clocks see it."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_runs(step: Callable[[], None],
              device: torch.device,
              iters: int,
              repeats: int,
              clock: Callable[[], float] = time.perf_counter) -> List[float]:
    """Seconds taken by each of ``repeats`` runs of ``iters`` steps."""
    seconds = []
    for _ in range(repeats):
        synchronize(device)
        start = clock()
        for _ in range(iters):
            step()
        synchronize(device)
        seconds.append(clock() - start)
    return seconds


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
