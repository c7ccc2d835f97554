"""The one place that makes hvt_mm classes visible to OpenMMLab scopes.

Our registries are children of mmengine's roots with scope ``hvt_mm``, so
``type='hvt_mm.FasterViT'`` resolves from any scope. Backbones and other
models are additionally registered in mmengine's root ``MODELS``; mmdet, mmseg
and mmpretrain registries are children of that root, so the plain
``type='FasterViT'`` resolves from their default scopes through the parent
chain. Duplicate names raise ``KeyError`` at import time instead of silently
shadowing another package's class.

mmseg-only models (decode heads) subclass mmseg classes, and importing
those means importing all of ``mmseg.models`` (about a second). They are
therefore registered when a registry that can build them is first searched:
ours (``locations``) or mmseg's (see :mod:`hvt_mm.integration`), exactly as
mmseg's own models are. ``import hvt_mm`` stays fast and prints nothing.
"""
import importlib.util
from typing import Callable, Type

from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

from .integration import SEG_MODEL_LOCATIONS

_HAS_MMSEG = importlib.util.find_spec('mmseg') is not None

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='hvt_mm',
    locations=SEG_MODEL_LOCATIONS if _HAS_MMSEG else [])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='hvt_mm')
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='hvt_mm')
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope='hvt_mm')
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope='hvt_mm')
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope='hvt_mm')


def _register_everywhere(ours: Registry, root: Registry) -> Callable:

    def decorator(cls: Type) -> Type:
        ours.register_module(module=cls)
        root.register_module(module=cls)
        return cls

    return decorator


register_model = _register_everywhere(MODELS, MMENGINE_MODELS)
register_hook = _register_everywhere(HOOKS, MMENGINE_HOOKS)
register_optim_wrapper_constructor = _register_everywhere(
    OPTIM_WRAPPER_CONSTRUCTORS, MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
register_optim_wrapper = _register_everywhere(OPTIM_WRAPPERS,
                                              MMENGINE_OPTIM_WRAPPERS)
register_transform = _register_everywhere(TRANSFORMS, MMENGINE_TRANSFORMS)
register_loop = _register_everywhere(LOOPS, MMENGINE_LOOPS)


def register_seg_model(cls: Type) -> Type:
    """Register a class that only makes sense inside mmseg (decode heads)."""
    from mmseg.registry import MODELS as MMSEG_MODELS
    MODELS.register_module(module=cls)
    MMSEG_MODELS.register_module(module=cls)
    return cls
