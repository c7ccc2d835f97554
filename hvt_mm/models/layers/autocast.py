"""Switching autocast off for numerically sensitive code."""
import contextlib
from typing import ContextManager

import torch


def autocast_off(device_type: str) -> ContextManager:
    """Context that disables autocast on ``device_type`` (if it has one).

    Code inside runs in the dtype of its inputs, so cast them to float32
    first where precision matters (attention normalisers, interpolation).
    """
    if torch.amp.is_autocast_available(device_type):
        return torch.autocast(device_type=device_type, enabled=False)
    return contextlib.nullcontext()
