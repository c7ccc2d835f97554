"""Normalisation layers for channels-first (NCHW) maps."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import register_model


@register_model
class LN2d(nn.LayerNorm):
    """LayerNorm over the channel dimension of a ``(B, C, H, W)`` map.

    Parameter names (``weight``, ``bias``) match ``nn.LayerNorm`` so
    checkpoints of channel-LayerNorm layers load unchanged.
    """

    _abbr_ = 'ln'

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)
