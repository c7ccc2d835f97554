"""hvt_mm: FasterViT, EfficientViT, LightViT and FastViT for OpenMMLab 3.x.

Importing the package registers every model, hook, data transform and
optimizer constructor (see :mod:`hvt_mm.registry`); the only other changes
it makes (weights-only checkpoint reading in mmengine under torch >= 2.6,
atomic checkpoint writes, lazy mmseg registration) are listed in
:mod:`hvt_mm.integration`.
"""
from . import checkpoint, datasets, engine, integration, models, registry
from .configs_path import get_config_path
from .version import __version__

integration.install()

__all__ = [
    '__version__', 'checkpoint', 'datasets', 'engine', 'get_config_path',
    'integration', 'models', 'registry'
]
