"""Bricks shared by several backbone families."""
from .conv_module import ConvNormAct  # noqa: F401
from .mbconv import DSConv, FusedMBConv, MBConv, ResConvPair  # noqa: F401
from .norm import LN2d
from .pos_mlp import ContinuousPositionBias, MLPPositionEmbedding
from .residual import ResidualBlock  # noqa: F401
from .sequential import OpSequential  # noqa: F401
from .window import (pad_to_multiple, window_partition, window_reverse,
                     window_valid_mask)

__all__ = [
    'LN2d', 'ContinuousPositionBias', 'MLPPositionEmbedding',
    'pad_to_multiple', 'window_partition', 'window_reverse',
    'window_valid_mask'
]
