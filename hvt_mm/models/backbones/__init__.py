"""Backbones; each module registers its class on import."""
from .base import HVTBackbone
from .efficientvit import EfficientViT
from .fastervit import FasterViT
from .fastvit import FastViT
from .lightvit import LightViT

__all__ = ['HVTBackbone', 'EfficientViT', 'FasterViT', 'FastViT', 'LightViT']
