"""Official LightViT checkpoints (hunto/LightViT) -> hvt_mm ``LightViT``.

Parameter names already match; only the classification head (``norm``,
``neck``, ``head``) and the derived ``relative_position_index`` buffers are
dropped. Detection checkpoints (``backbone.`` prefix, selected by the
loader) keep everything else unchanged.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

from .io import unwrap_state_dict

_DROP = re.compile(r'^(norm|neck|head)\.|(^|\.)relative_position_index$')


def convert(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Return the backbone entries of an official LightViT state dict.

    Pure and idempotent; also accepts a ``state_dict``/``model`` container
    and strips a DataParallel ``module.`` prefix.
    """
    state = unwrap_state_dict(state_dict)
    return OrderedDict((k, v) for k, v in state.items() if not _DROP.search(k))
