"""A sequential container whose children live in ``op_list``."""
from typing import Iterable, Optional

import torch
import torch.nn as nn


class OpSequential(nn.Module):
    """Runs ``op_list`` in order; ``None`` entries are dropped at build time.

    Dropping ``None`` keeps indices contiguous, which is how EfficientViT
    checkpoints number optional layers (e.g. a segmentation classifier sits
    at ``op_list.0`` when the optional expand conv before it is absent).
    """

    def __init__(self, ops: Iterable[Optional[nn.Module]]) -> None:
        super().__init__()
        self.op_list = nn.ModuleList([op for op in ops if op is not None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for op in self.op_list:
            x = op(x)
        return x
