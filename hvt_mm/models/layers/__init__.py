"""Bricks shared by several backbone families."""
from .norm import LN2d
from .pos_mlp import ContinuousPositionBias, MLPPositionEmbedding
from .window import (pad_to_multiple, window_partition, window_reverse,
                     window_valid_mask)

__all__ = [
    'LN2d', 'ContinuousPositionBias', 'MLPPositionEmbedding',
    'pad_to_multiple', 'window_partition', 'window_reverse',
    'window_valid_mask'
]
