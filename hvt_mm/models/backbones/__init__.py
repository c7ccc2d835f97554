"""Backbones; each module registers its class on import."""
from .base import HVTBackbone
from .efficientvit import EfficientViT  # noqa: F401
from .fastervit import FasterViT  # noqa: F401
from .fastvit import FastViT  # noqa: F401
from .lightvit import LightViT  # noqa: F401

__all__ = ['HVTBackbone']
