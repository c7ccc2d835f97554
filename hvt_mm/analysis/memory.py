"""Peak extra memory of one benchmark iteration.

Peak memory is what one iteration needs *on top of* the model and its
input (activations, gradients, workspaces):

* CUDA: ``max_memory_allocated() - memory_allocated()`` with the peak
  counter reset just before; caching-allocator reserve not included.
* CPU (Linux): freed heap memory is returned to the OS (``malloc_trim``),
  the kernel's peak-RSS counter is reset (``/proc/self/clear_refs`` ``5``)
  and the result is ``VmHWM - VmRSS`` (peak minus resident size at the
  reset). Resident pages, so allocator slack is included: an upper bound of
  tensor memory. Only meaningful in a process of its own
  (:func:`.isolation.run_isolated`); not reported where ``/proc`` does not
  allow the reset.
"""
import ctypes
import gc
from typing import Optional

import torch

from ..engine.timing import synchronize


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
            synchronize(self.device)
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
