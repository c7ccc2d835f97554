"""Backbones; each module registers its class on import."""
from .base import HVTBackbone

__all__ = ['HVTBackbone']
