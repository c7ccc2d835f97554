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
ours (``locations``) or mmseg's (its import locations get ours appended),
exactly as mmseg's own models are. ``import hvt_mm`` stays fast and prints
nothing.
"""
import importlib
import importlib.util
import logging
import sys
from typing import Callable, List, Optional, Type

from mmengine.logging import print_log
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import Registry

SEG_MODEL_LOCATIONS: List[str] = ['hvt_mm.models.decode_heads']
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


def register_seg_model(cls: Type) -> Type:
    """Register a class that only makes sense inside mmseg (decode heads)."""
    from mmseg.registry import MODELS as MMSEG_MODELS
    MODELS.register_module(module=cls)
    MMSEG_MODELS.register_module(module=cls)
    return cls


def _defer_seg_models() -> None:
    """Register the mmseg-only models with mmseg's lazy imports."""
    if not _HAS_MMSEG:
        return
    from mmseg.registry import MODELS as MMSEG_MODELS
    if MMSEG_MODELS._imported or 'mmseg.models' in sys.modules:
        for location in SEG_MODEL_LOCATIONS:  # too late to defer; cheap now
            importlib.import_module(location)
    else:
        MMSEG_MODELS._locations = list(
            MMSEG_MODELS._locations) + SEG_MODEL_LOCATIONS


def mmpretrain_models_error() -> Optional[str]:
    """Why ``mmpretrain.models`` cannot be imported, or None if it can.

    ``mmpretrain.models`` imports torchvision at import time, and the PyPI
    torchvision wheels do not load against CPU-only torch builds. Probing
    torchvision is much cheaper than importing all of ``mmpretrain.models``.
    """
    if importlib.util.find_spec('mmpretrain') is None:
        return 'mmpretrain is not installed'
    try:
        importlib.import_module('torchvision')
    except Exception as exc:  # a broken torchvision raises RuntimeError
        return f'{type(exc).__name__}: {str(exc).splitlines()[0]}'
    return None


def _degrade_mmpretrain_scope() -> None:
    """Let the mmpretrain scope build our models when its own models fail.

    Marks mmpretrain's model registry as imported so that lookups stop
    retrying the failing ``mmpretrain.models`` import; our classes (which
    live in the root registry) stay buildable there. Reported at debug
    level: most users never touch the mmpretrain scope, and scripts parse
    stdout.
    """
    if importlib.util.find_spec('mmpretrain') is None:
        return
    error = mmpretrain_models_error()
    if error is None:
        return
    from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
    MMPRETRAIN_MODELS._imported = True
    print_log(
        'hvt_mm: mmpretrain.models cannot be imported '
        f'({error}); hvt_mm backbones still build in the mmpretrain scope, '
        "mmpretrain's own models do not.",
        logger='current',
        level=logging.DEBUG)


_defer_seg_models()
_degrade_mmpretrain_scope()
