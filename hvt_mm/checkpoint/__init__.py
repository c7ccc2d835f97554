"""Checkpoint reading, conversion of official layouts, and checked loading.

Depends on nothing in :mod:`hvt_mm.models`: models call in through
:class:`~hvt_mm.models.backbones.base.HVTBackbone` (its
``checkpoint_converter`` attribute and ``load_pretrained``). Importing this
package makes every mmengine checkpoint scheme read files weights-only.
"""
from .io import (UnsafeCheckpointError, load_checkpoint_file,
                 register_safe_globals, select_prefix, unwrap_state_dict)
from .loading import CheckpointMismatchError, load_state_dict_checked
from .schemes import CheckpointDownloadError, install_mmengine_loaders

register_safe_globals()
install_mmengine_loaders()

__all__ = [
    'CheckpointDownloadError', 'CheckpointMismatchError',
    'UnsafeCheckpointError', 'install_mmengine_loaders',
    'load_checkpoint_file', 'load_state_dict_checked',
    'register_safe_globals', 'select_prefix', 'unwrap_state_dict'
]
