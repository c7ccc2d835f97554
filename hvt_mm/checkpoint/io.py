"""Checkpoint reading that keeps ``torch.load``'s ``weights_only`` safety.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; since torch
2.6 that means the restricted unpickler, which rejects mmengine's own
checkpoints (``HistoryBuffer`` and NumPy values in ``meta``/``message_hub``)
and timm-style files that pickle ``argparse.Namespace``. We allow exactly
those harmless globals and route mmengine's local-file loader through
:func:`load_checkpoint_file`, so anything else is still refused, with an
error naming the file and the global.
"""
import argparse
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

SAFE_GLOBALS = [HistoryBuffer, argparse.Namespace]


def _history_buffer_method(owner: Any, name: str) -> Any:
    """Stand-in for ``getattr`` while unpickling.

    HistoryBuffer pickles its registered statistics as
    ``getattr(HistoryBuffer, 'mean')``. A general ``getattr`` would open the
    door to arbitrary code (``getattr(obj, '__globals__')``...), so only
    those lookups are honoured.
    """
    # The four built-ins are registered lazily (first instance), so they
    # are listed explicitly for a fresh process.
    allowed = {'min', 'max', 'current', 'mean'}
    allowed.update(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL getattr({owner!r}, {name!r}) is not '
        'an allowed lookup')


def _numpy_safe_globals() -> list:
    import numpy._core.multiarray as multiarray  # NumPy >= 2
    dtypes = [type(np.dtype(t)) for t in np.sctypeDict.values()]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray,
            np.dtype] + sorted(set(dtypes), key=lambda t: t.__name__)


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles a global outside the allowed set."""


def register_safe_globals() -> None:
    """Allow the globals mmengine and timm checkpoints legitimately use."""
    torch.serialization.add_safe_globals(
        SAFE_GLOBALS + _numpy_safe_globals() +
        [(_history_buffer_method, 'builtins.getattr')])


def load_checkpoint_file(filename: str, map_location: Any = 'cpu') -> Any:
    """``torch.load`` with ``weights_only=True`` and a clear refusal."""
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as exc:
        match = re.search(
            r'GLOBAL (.+?) (?:was not an allowed|is not an allowed|whose)',
            str(exc))
        culprit = match.group(1) if match else 'an unsupported object'
        raise UnsafeCheckpointError(
            f'Refusing to load {filename!r}: it pickles {culprit}, which '
            'could run arbitrary code on load. Only tensors, containers, '
            'NumPy values, HistoryBuffer and argparse.Namespace are '
            'allowed. If you trust the file, re-save its state_dict with '
            'torch.save(torch.load(f, weights_only=False)["state_dict"]).'
        ) from exc
    except (RuntimeError, EOFError) as exc:
        raise RuntimeError(
            f'Cannot read checkpoint {filename!r}: {exc}. The file may be '
            'truncated or not a PyTorch checkpoint.') from exc


def load_from_local_safe(filename: str, map_location: Any = None) -> Any:
    """mmengine local-file loader using :func:`load_checkpoint_file`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_checkpoint_file(filename, map_location)


def install_mmengine_loader() -> None:
    """Make mmengine (resume, load_from, Pretrained) use the safe loader."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safe, force=True)


def unwrap_state_dict(checkpoint: Any) -> Dict[str, torch.Tensor]:
    """Tensors of a checkpoint, whatever container it came in.

    Accepts mmengine/timm containers (``state_dict``), ``model``-keyed files
    and bare state dicts; strips a leading ``module.`` (DataParallel).
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(f'Checkpoint is a {type(checkpoint).__name__}, '
                        'expected a dict of tensors or a container dict.')
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    state = OrderedDict()
    for name, value in checkpoint.items():
        if isinstance(value, torch.Tensor):
            state[re.sub(r'^module\.', '', name)] = value
    if not state:
        raise ValueError('Checkpoint contains no tensors; top-level keys: '
                         f'{sorted(map(str, checkpoint))[:10]}')
    return state


def select_prefix(state: Dict[str, torch.Tensor],
                  prefix: Optional[str]) -> Dict[str, torch.Tensor]:
    """Keep the entries under ``prefix`` (e.g. ``'backbone.'``), stripped."""
    if not prefix:
        return state
    if not prefix.endswith('.'):
        prefix += '.'
    picked = OrderedDict((k[len(prefix):], v) for k, v in state.items()
                         if k.startswith(prefix))
    if not picked:
        raise ValueError(
            f'No checkpoint keys start with {prefix!r}; the first keys are '
            f'{list(state)[:5]}. Drop `prefix` for a bare backbone file.')
    return picked
