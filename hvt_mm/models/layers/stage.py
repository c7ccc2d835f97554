"""The stage container every backbone family is built from."""
from typing import Callable, Iterable, Optional

import torch
import torch.nn as nn

#: ``run_block(block, *args)``: how a stage calls each block (the backbone
#: passes its gradient-checkpointing wrapper).
RunBlock = Callable[..., torch.Tensor]


def _call(block: nn.Module, *args) -> torch.Tensor:
    return block(*args)


class HVTStage(nn.Module):
    """``downsample`` (``nn.Identity`` when the stage keeps the resolution)
    followed by ``blocks``.

    The shared layout (``stages[i].downsample``, ``stages[i].blocks``) is
    what :class:`~hvt_mm.models.backbones.base.HVTBackbone` freezes and
    numbers for layer-wise lr decay. A family subclasses it when a stage
    owns more (carrier tokens, a positional encoding before the blocks):
    every child other than ``blocks`` joins the first block's lr-decay
    layer.

    Args:
        downsample: Module applied before the blocks, or None.
        blocks: The stage's blocks, in order.
    """

    def __init__(self, downsample: Optional[nn.Module],
                 blocks: Iterable[nn.Module]) -> None:
        super().__init__()
        self.downsample = nn.Identity() if downsample is None else downsample
        self.blocks = nn.ModuleList(blocks)

    def forward(self,
                x: torch.Tensor,
                run_block: RunBlock = _call) -> torch.Tensor:
        x = self.downsample(x)
        for block in self.blocks:
            x = run_block(block, x)
        return x
