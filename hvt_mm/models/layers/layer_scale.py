"""Per-channel residual scaling (CaiT, arXiv 2103.17239)."""
import torch
import torch.nn as nn


class LayerScale(nn.Module):
    """``x * weight`` with one learnable factor per channel.

    Args:
        dim: Channels.
        init_value: Initial factor. Defaults to 1e-5.
        channels_first: Scale dimension 1 of ``(B, C, H, W)`` maps instead
            of the last dimension of ``(B, N, C)`` tokens. Defaults to False.
    """

    def __init__(self,
                 dim: int,
                 init_value: float = 1e-5,
                 channels_first: bool = False) -> None:
        super().__init__()
        self.channels_first = channels_first
        self.weight = nn.Parameter(torch.full((dim, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight
        if self.channels_first:
            weight = weight.view(-1, *([1] * (x.dim() - 2)))
        return x * weight

    def extra_repr(self) -> str:
        return f'{self.weight.numel()}, channels_first={self.channels_first}'
