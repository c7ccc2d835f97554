"""Padding and window partitioning without Python loops over windows."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Zero-pad the bottom/right of a ``(B, C, H, W)`` map to a multiple."""
    pad_h = -x.shape[-2] % multiple
    pad_w = -x.shape[-1] % multiple
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h))
    return x


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """Split ``(B, C, H, W)`` into ``(B * nH * nW, window * window, C)``.

    Windows are ordered row-major over the window grid; H and W must be
    multiples of ``window`` (use :func:`pad_to_multiple` first).
    """
    B, C, H, W = x.shape
    x = x.view(B, C, H // window, window, W // window, window)
    x = x.permute(0, 2, 4, 3, 5, 1)
    return x.reshape(-1, window * window, C)


def window_reverse(windows: torch.Tensor, window: int,
                   size: Tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`window_partition`; returns ``(B, C, H, W)``."""
    H, W = size
    C = windows.shape[-1]
    x = windows.view(-1, H // window, W // window, window, window, C)
    x = x.permute(0, 5, 1, 3, 2, 4)
    return x.reshape(-1, C, H, W)


def window_valid_mask(size: Tuple[int, int],
                      window: int,
                      device: Optional[torch.device] = None) -> torch.Tensor:
    """Which tokens of each window lie inside an unpadded ``size`` map.

    Args:
        size: ``(H, W)`` before :func:`pad_to_multiple`.
        window: Window side length.
        device: Device of the returned mask.

    Returns:
        Bool tensor ``(nW, window * window)``, windows ordered as by
        :func:`window_partition` on the padded map; ``False`` marks padding.
    """
    H, W = size
    valid = pad_to_multiple(torch.ones(1, 1, H, W, device=device), window)
    return window_partition(valid, window).squeeze(-1) > 0
