"""Bricks and helpers shared by several backbone families and heads."""
from .autocast import autocast_off
from .conv_module import ConvNormAct
from .layer_scale import LayerScale
from .mbconv import DSConv, FusedMBConv, MBConv, ResConvPair
from .norm import LN2d
from .pos_mlp import (ContinuousPositionBias, FixedPositionBias,
                      FixedPositionEmbedding, MLPPositionEmbedding)
from .residual import ResidualBlock, drop_path_or_identity
from .sequential import OpSequential
from .stage import HVTStage
from .window import (pad_to_multiple, window_partition, window_reverse,
                     window_valid_mask)

__all__ = [
    'autocast_off', 'ConvNormAct', 'LayerScale', 'DSConv', 'FusedMBConv',
    'MBConv', 'ResConvPair', 'LN2d', 'ContinuousPositionBias',
    'FixedPositionBias', 'FixedPositionEmbedding', 'MLPPositionEmbedding',
    'ResidualBlock', 'drop_path_or_identity', 'OpSequential', 'HVTStage',
    'pad_to_multiple', 'window_partition', 'window_reverse',
    'window_valid_mask'
]
