"""Bricks shared by several backbone families."""
from .conv_module import ConvNormAct
from .mbconv import DSConv, FusedMBConv, MBConv, ResConvPair
from .norm import LN2d
from .pos_mlp import ContinuousPositionBias, MLPPositionEmbedding
from .residual import ResidualBlock, drop_path_or_identity
from .sequential import OpSequential
from .window import (pad_to_multiple, window_partition, window_reverse,
                     window_valid_mask)

__all__ = [
    'ConvNormAct', 'DSConv', 'FusedMBConv', 'MBConv', 'ResConvPair',
    'ResidualBlock', 'drop_path_or_identity', 'OpSequential', 'LN2d', 'ContinuousPositionBias', 'MLPPositionEmbedding',
    'pad_to_multiple', 'window_partition', 'window_reverse',
    'window_valid_mask'
]
