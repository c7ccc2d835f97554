"""Checkpoint reading, conversion of official layouts, and checked loading.

Depends on nothing in :mod:`hvt_mm.models`: models call in through
:class:`~hvt_mm.models.backbones.base.HVTBackbone` (its
``checkpoint_converter`` attribute and ``load_pretrained``). Importing this
package changes nothing outside it; :mod:`hvt_mm.integration` installs the
weights-only readers and atomic writes into mmengine.
"""
from .io import (UnsafeCheckpointError, load_checkpoint_file,
                 register_safe_globals, select_prefix, unwrap_state_dict)
from .loading import (CheckpointMismatchError, check_state_dict_fits,
                      load_state_dict_checked)
from .saving import AtomicLocalBackend, atomic_write
from .schemes import LOADERS, CheckpointDownloadError

__all__ = [
    'AtomicLocalBackend', 'CheckpointDownloadError', 'CheckpointMismatchError',
    'LOADERS', 'UnsafeCheckpointError', 'atomic_write',
    'check_state_dict_fits', 'load_checkpoint_file', 'load_state_dict_checked',
    'register_safe_globals', 'select_prefix', 'unwrap_state_dict'
]
