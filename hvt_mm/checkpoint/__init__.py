"""Checkpoint reading, conversion of official layouts, and loading."""
from .io import (UnsafeCheckpointError, install_mmengine_loader,
                 load_checkpoint_file, register_safe_globals,
                 unwrap_state_dict)
from .loading import (CheckpointMismatchError, convert_state_dict,
                      load_pretrained, load_state_dict_checked)

register_safe_globals()
install_mmengine_loader()

__all__ = [
    'UnsafeCheckpointError', 'CheckpointMismatchError', 'convert_state_dict',
    'install_mmengine_loader', 'load_checkpoint_file', 'load_pretrained',
    'load_state_dict_checked', 'register_safe_globals', 'unwrap_state_dict'
]
