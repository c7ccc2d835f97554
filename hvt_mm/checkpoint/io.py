"""Checkpoint reading that keeps ``torch.load``'s ``weights_only`` safety.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; since torch
2.6 that means the restricted unpickler, which rejects mmengine's own
checkpoints (``HistoryBuffer`` and NumPy values in ``meta``/``message_hub``)
and timm-style files that pickle ``argparse.Namespace``. We allow exactly
those harmless globals and read every file through
:func:`load_checkpoint_file`, so anything else is still refused, with an
error naming the file and the global.
"""
import argparse
import io
import pickle
import re
from collections import OrderedDict
from typing import IO, Any, Dict, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

# ``bytes`` is how protocol 2 pickles an empty bytes object (an empty NumPy
# array's data, a HistoryBuffer without values): ``builtins.bytes()``.
SAFE_GLOBALS = [HistoryBuffer, argparse.Namespace, bytes]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles a global outside the allowed set."""


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
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype
            ] + sorted(
                set(dtypes), key=lambda t: t.__name__)


def register_safe_globals() -> None:
    """Allow the globals mmengine and timm checkpoints legitimately use."""
    torch.serialization.add_safe_globals(SAFE_GLOBALS + _numpy_safe_globals() +
                                         [(_history_buffer_method,
                                           'builtins.getattr')])


def load_checkpoint_file(source: Union[str, IO[bytes], bytes],
                         map_location: Any = 'cpu',
                         name: Optional[str] = None) -> Any:
    """``torch.load(weights_only=True)`` of a path, file object or bytes.

    Args:
        source: A local path, a binary file object or the file's bytes.
        map_location: As for :func:`torch.load`.
        name: How to call the checkpoint in errors (defaults to the path).

    Raises:
        UnsafeCheckpointError: the file pickles something that could run
            code (naming the global).
        RuntimeError: the file is empty, truncated or not a checkpoint.
    """
    name = name or (source if isinstance(source, str) else 'checkpoint')
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        return torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        match = re.search(
            r'GLOBAL (.+?) (?:was not an allowed|is not an allowed|whose)',
            str(exc))
        if match is None:
            raise _unreadable(name, exc) from exc
        raise UnsafeCheckpointError(
            f'Refusing to load {name!r}: it pickles {match.group(1)}, which '
            'could run arbitrary code on load. Only tensors, containers, '
            'NumPy values, HistoryBuffer and argparse.Namespace are '
            'allowed. If you trust the file, re-save its state_dict with '
            'torch.save(torch.load(f, weights_only=False)["state_dict"]).'
        ) from exc
    except (RuntimeError, EOFError, ValueError) as exc:
        raise _unreadable(name, exc) from exc


def _unreadable(name: str, exc: Exception) -> RuntimeError:
    first = str(exc).splitlines()[0].rstrip('.') if str(exc) else \
        type(exc).__name__
    return RuntimeError(
        f'Cannot read checkpoint {name!r}: {first}. The file may be empty, '
        'truncated (an interrupted download or save) or not a PyTorch '
        'checkpoint; download or save it again.')


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
    picked = OrderedDict(
        (k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
    if not picked:
        raise ValueError(
            f'No checkpoint keys start with {prefix!r}; the first keys are '
            f'{list(state)[:5]}. Drop `prefix` for a bare backbone file.')
    return picked
