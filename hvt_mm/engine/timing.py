"""The clock of every hvt_mm measurement: device synchronisation, the timed
loop and medians. Used by :class:`~hvt_mm.engine.hooks.BenchmarkHook` and
by :mod:`hvt_mm.analysis` (the benchmark tools), so it sits in this layer
and imports nothing but torch and the standard library.

Throughput is the median over ``repeats`` runs of ``iters`` calls; queued
CUDA work is waited for around every run, so the clock sees it.
"""
import statistics
import time
from typing import Callable, List, Optional, Sequence, Tuple

import torch


def synchronize(device: Optional[torch.device] = None) -> None:
    """Wait for queued CUDA work on ``device``; with None, on the current
    device if this process has initialised CUDA. A no-op on CPU."""
    if device is None:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
    elif device.type == 'cuda':
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


def median_throughput(seconds: Sequence[float], iters: int,
                      batch: int) -> Tuple[float, List[float]]:
    """Median img/s and the img/s of every run of ``iters`` x ``batch``."""
    rates = [iters * batch / s for s in seconds]
    return statistics.median(rates), rates
