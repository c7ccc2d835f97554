"""hvt_mm: FasterViT, EfficientViT, LightViT and FastViT for OpenMMLab 3.x.

Importing the package registers every model, hook and optimizer
constructor (see :mod:`hvt_mm.registry`) and makes mmengine's checkpoint
loading work under torch >= 2.6 without disabling ``weights_only``.
"""
from . import checkpoint, engine, models, registry
from .configs_path import get_config_path
from .version import __version__

__all__ = [
    '__version__', 'checkpoint', 'engine', 'get_config_path', 'models',
    'registry'
]
