"""``out = drop_path(main(x)) + x`` with an optional shortcut."""
import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath


def drop_path_or_identity(rate: float) -> nn.Module:
    """Stochastic depth at ``rate``; a stateless identity when it is 0."""
    return DropPath(rate) if rate > 0 else nn.Identity()


class ResidualBlock(nn.Module):
    """Wraps ``main`` with an identity shortcut, or with none.

    Children ``main`` and ``shortcut`` (an ``nn.Identity`` without state, or
    absent) match checkpoints of EfficientViT-style ``ResidualBlock``s. A
    block without shortcut (a downsampling block) just runs ``main``.

    Args:
        main: The residual branch.
        shortcut: Add the input back (identity shortcut).
        drop_path_rate: Stochastic depth on ``main`` (identity blocks only).
    """

    def __init__(self,
                 main: nn.Module,
                 shortcut: bool = True,
                 drop_path_rate: float = 0.) -> None:
        super().__init__()
        self.main = main
        self.shortcut = nn.Identity() if shortcut else None
        self.set_drop_path(drop_path_rate)

    def set_drop_path(self, rate: float) -> None:
        """Set the stochastic-depth rate (ignored without shortcut)."""
        self.drop_path = drop_path_or_identity(
            rate if self.shortcut is not None else 0.)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.shortcut is None:
            return self.main(x)
        return self.drop_path(self.main(x)) + self.shortcut(x)
