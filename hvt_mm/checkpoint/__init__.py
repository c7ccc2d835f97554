"""Checkpoint reading, conversion of official layouts, and checked loading.

Depends on nothing in :mod:`hvt_mm.models`: models call in through
:class:`~hvt_mm.models.backbones.base.HVTBackbone` (its
``checkpoint_converter`` attribute and ``load_pretrained``). Importing this
package makes every mmengine checkpoint scheme read files weights-only
and every local mmengine write (checkpoints, ``last_checkpoint``) atomic.
"""
from .io import (UnsafeCheckpointError, load_checkpoint_file,
                 register_safe_globals, select_prefix, unwrap_state_dict)
from .loading import CheckpointMismatchError, load_state_dict_checked
from .saving import atomic_write, install_atomic_local_backend
from .schemes import CheckpointDownloadError, install_mmengine_loaders

register_safe_globals()
install_mmengine_loaders()
install_atomic_local_backend()

__all__ = [
    'CheckpointDownloadError', 'CheckpointMismatchError',
    'UnsafeCheckpointError', 'atomic_write', 'install_atomic_local_backend',
    'install_mmengine_loaders', 'load_checkpoint_file',
    'load_state_dict_checked', 'register_safe_globals', 'select_prefix',
    'unwrap_state_dict'
]
