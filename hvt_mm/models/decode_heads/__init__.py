"""mmseg decode heads (registered lazily, see :mod:`hvt_mm.registry`)."""
from .efficientvit_head import EfficientViTHead

__all__ = ['EfficientViTHead']
