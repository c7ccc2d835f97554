"""Bricks and helpers shared by several backbone families and heads."""
from .autocast import autocast_off
from .conv_module import ConvNormAct
from .mbconv import DSConv, FusedMBConv, MBConv, ResConvPair
from .norm import LN2d
from .pos_mlp import (ContinuousPositionBias, FixedPositionBias,
                      FixedPositionEmbedding, MLPPositionEmbedding)
from .residual import ResidualBlock, drop_path_or_identity
from .sequential import OpSequential
from .window import (pad_to_multiple, window_partition, window_reverse,
                     window_valid_mask)

__all__ = [
    'autocast_off', 'ConvNormAct', 'DSConv', 'FusedMBConv', 'MBConv',
    'ResConvPair', 'LN2d', 'ContinuousPositionBias', 'FixedPositionBias',
    'FixedPositionEmbedding', 'MLPPositionEmbedding', 'ResidualBlock',
    'drop_path_or_identity', 'OpSequential', 'pad_to_multiple',
    'window_partition', 'window_reverse', 'window_valid_mask'
]
