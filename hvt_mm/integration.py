"""Everything ``import hvt_mm`` changes outside hvt_mm, in one place.

Registering our classes (:mod:`hvt_mm.registry`) is the point of importing
hvt_mm; :func:`install` makes the only other changes, listed here. Each is
feature-detected and wrapped so that a different mmengine, mmseg,
mmpretrain or torch can never make the import fail: a change that does not
apply is skipped and reported at debug level (:func:`installed` says what
took effect).

Essential (always made: the guarantees users rely on):

1. ``torch.serialization.add_safe_globals``: the harmless globals mmengine
   and timm checkpoints pickle (``HistoryBuffer``, NumPy values,
   ``argparse.Namespace``; :data:`hvt_mm.checkpoint.io.SAFE_GLOBALS`).
   Since torch 2.6 ``torch.load`` is weights-only by default, and without
   these stock mmdet/mmseg tools cannot resume or test their own
   checkpoints.
2. mmengine's ``CheckpointLoader``, URL schemes (``http(s)://``,
   ``torchvision://``, ``modelzoo://``, ``open-mmlab://``, ``openmmlab://``,
   ``mmcls://``): mmengine downloads them through
   ``torch.hub.load_state_dict_from_url``, whose ``weights_only`` defaults
   to False, so a served file could run code on load. Our readers
   (:mod:`hvt_mm.checkpoint.schemes`) resolve names as mmengine does and
   read weights-only. Registered with the public ``register_scheme``;
   schemes mmengine has and we do not know are left alone.

Optional (made unless ``HVT_MM_OPTIONAL_INTEGRATION=0`` is set when hvt_mm
is first imported; :func:`restore_optional` undoes them later):

3. mmengine's local, ``s3://``/``petrel://`` and ``pavi://`` checkpoint
   readers: weights-only already on torch >= 2.6; ours add errors that
   name the file and the refused global.
4. mmengine's ``local`` file backend: all-or-nothing writes
   (:class:`~hvt_mm.checkpoint.saving.AtomicLocalBackend`), so a run
   killed while saving keeps its previous checkpoint and
   ``last_checkpoint``. Registered with the public ``register_backend``.
5. mmseg's model registry: our mmseg-only models (decode heads) join its
   lazy imports, so ``import hvt_mm`` need not import ``mmseg.models``
   (about a second). mmengine has no public way to add an import location
   to an existing registry; this appends to its ``_locations`` list.
6. mmpretrain's model registry, only when ``mmpretrain.models`` cannot be
   imported (it needs torchvision): marked as imported so that lookups in
   the mmpretrain scope build our backends instead of re-raising the
   torchvision error. No public API exists for this either; it sets
   ``_imported``.
"""
import importlib
import importlib.util
import logging
import os
import sys
from typing import Callable, Dict, List, Optional

from mmengine.logging import print_log

#: Environment variable that, set to ``0`` before the first import of
#: hvt_mm, skips the optional changes.
OPTIONAL_ENV = 'HVT_MM_OPTIONAL_INTEGRATION'
#: mmseg-only model modules, imported through mmseg's lazy registry.
SEG_MODEL_LOCATIONS: List[str] = ['hvt_mm.models.decode_heads']

_URL_SCHEMES = ('http://', 'https://', 'torchvision://', 'modelzoo://',
                'open-mmlab://', 'openmmlab://', 'mmcls://')
#: What took effect: change name -> description.
_INSTALLED: Dict[str, str] = {}
#: How to undo each change that took effect.
_UNDO: Dict[str, Callable[[], None]] = {}
_DONE: List[bool] = []


def _debug(message: str) -> None:
    print_log(f'hvt_mm: {message}', logger='current', level=logging.DEBUG)


def _attempt(name: str, change: Callable[[], Optional[str]]) -> None:
    """Run one change; never let it fail the import."""
    try:
        outcome = change()
    except Exception as exc:  # another library version: skip, say why
        _debug(f'{name} skipped ({type(exc).__name__}: {exc})')
        return
    if outcome:
        _INSTALLED[name] = outcome


def _safe_globals() -> str:
    from .checkpoint.io import register_safe_globals
    register_safe_globals()
    return 'torch: mmengine/timm checkpoint globals allowed weights-only'


def _register_loaders(prefixes) -> Callable[[], Optional[str]]:

    def change() -> Optional[str]:
        from mmengine.runner.checkpoint import CheckpointLoader

        from .checkpoint.schemes import LOADERS
        known = set(getattr(CheckpointLoader, '_schemes', LOADERS))
        chosen = [p for p in prefixes if p in known and p in LOADERS]
        previous = {p: CheckpointLoader._schemes.get(p) for p in chosen} \
            if hasattr(CheckpointLoader, '_schemes') else {}
        for prefix in chosen:
            CheckpointLoader.register_scheme(
                prefix, LOADERS[prefix], force=True)
        unknown = sorted(known - set(LOADERS))
        if unknown:
            _debug(f'mmengine checkpoint schemes {unknown} are read by '
                   "mmengine's own loaders")

        def undo() -> None:
            for prefix, loader in previous.items():
                if loader is not None:
                    CheckpointLoader.register_scheme(
                        prefix, loader, force=True)

        return chosen and (undo, f'weights-only readers for {chosen}')

    return change


def _optional(name: str, change: Callable[[], Optional[tuple]]) -> None:

    def wrapped() -> Optional[str]:
        result = change()
        if not result:
            return None
        undo, description = result
        _UNDO[name] = undo
        return description

    _attempt(name, wrapped)


def _atomic_local_backend() -> Optional[tuple]:
    from mmengine.fileio.backends import LocalBackend, register_backend

    from .checkpoint.saving import AtomicLocalBackend
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')

    def undo() -> None:
        register_backend('local', LocalBackend, force=True, prefixes='')

    return undo, 'mmengine local backend writes atomically'


def _lazy_seg_models() -> Optional[tuple]:
    if importlib.util.find_spec('mmseg') is None:
        return None
    from mmseg.registry import MODELS as MMSEG_MODELS
    if MMSEG_MODELS._imported or 'mmseg.models' in sys.modules:
        for location in SEG_MODEL_LOCATIONS:  # too late to defer; cheap now
            importlib.import_module(location)
        return None
    before = list(MMSEG_MODELS._locations)
    MMSEG_MODELS._locations = before + SEG_MODEL_LOCATIONS

    def undo() -> None:
        MMSEG_MODELS._locations = before

    return undo, 'mmseg imports hvt_mm decode heads lazily'


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


def _degraded_mmpretrain_scope() -> Optional[tuple]:
    if importlib.util.find_spec('mmpretrain') is None:
        return None
    error = mmpretrain_models_error()
    if error is None:
        return None
    from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
    before = MMPRETRAIN_MODELS._imported
    MMPRETRAIN_MODELS._imported = True
    _debug(f'mmpretrain.models cannot be imported ({error}); hvt_mm '
           "backbones still build in the mmpretrain scope, mmpretrain's own "
           'models do not.')

    def undo() -> None:
        MMPRETRAIN_MODELS._imported = before

    return undo, 'mmpretrain scope builds hvt_mm models without torchvision'


def optional_enabled() -> bool:
    """Whether the environment allows the optional changes."""
    return os.environ.get(OPTIONAL_ENV,
                          '1').strip().lower() not in ('0', 'false', 'no',
                                                       'off')


def install() -> None:
    """Make the changes listed in the module docstring (idempotent)."""
    if _DONE:
        return
    _DONE.append(True)
    _attempt('safe_globals', _safe_globals)
    _optional('url_loaders', _register_loaders(_URL_SCHEMES))
    if not optional_enabled():
        _debug(f'{OPTIONAL_ENV}=0: optional integration skipped')
        return
    _optional(
        'file_loaders',
        _register_loaders(
            ('', r'(\S+\:)?s3://', r'(\S+\:)?petrel://', 'pavi://')))
    _optional('atomic_local_backend', _atomic_local_backend)
    _optional('lazy_seg_models', _lazy_seg_models)
    _optional('mmpretrain_scope', _degraded_mmpretrain_scope)


def restore_optional() -> None:
    """Undo the optional changes (3-6 of the module docstring)."""
    for name in ('file_loaders', 'atomic_local_backend', 'lazy_seg_models',
                 'mmpretrain_scope'):
        undo = _UNDO.pop(name, None)
        if undo is not None:
            undo()
            _INSTALLED.pop(name, None)


def installed() -> Dict[str, str]:
    """The changes that took effect: name -> what it does."""
    return dict(_INSTALLED)
