"""Official apple/ml-fastvit checkpoints -> hvt_mm FastViT state dicts.

Both official forms keep their names in hvt_mm: the training form
(``fastvit_*.pth.tar``, keys ``rbr_*``, ``lkb_origin``, ``small_conv``,
``token_mixer.{norm,mixer}``, ``pe``) and the fused form
(``fastvit_*_reparam.pth.tar``, keys ``reparam_conv``, ``lkb_reparam``).
Conversion only drops the classifier; :func:`checkpoint_form` tells the two
forms apart so a model can refuse the wrong one.
"""
import re
from collections import OrderedDict
from typing import Dict, Iterable, Optional

import torch

# Classifier-only modules of the official model (the distilled variants
# have the same names).
_HEAD = re.compile(r'^(conv_exp|head|dist_head)\.')
_FUSED = re.compile(r'(^|\.)(reparam_conv|lkb_reparam)\.')
_UNFUSED = re.compile(r'(^|\.)(rbr_conv|rbr_skip|rbr_scale|lkb_origin|'
                      r'small_conv|pe)\.')


def convert(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop classifier entries and non-tensors; strip ``module.``.

    Pure and idempotent; accepts unfused and fused official layouts (and
    hvt_mm's own backbone state dicts, returned unchanged).
    """
    out = OrderedDict()
    for name, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            continue
        name = re.sub(r'^module\.', '', name)
        if not _HEAD.match(name):
            out[name] = value
    return out


def checkpoint_form(keys: Iterable[str]) -> Optional[str]:
    """``'fused'``, ``'unfused'`` or None (no reparameterizable entries).

    A state dict counts as fused when it has fused entries and no training
    branches, so a fused SA/MA model (whose ConvFFN and attention blocks keep
    their BN) is still recognised.
    """
    fused = unfused = False
    for key in keys:
        fused = fused or bool(_FUSED.search(key))
        unfused = unfused or bool(_UNFUSED.search(key))
    if unfused:
        return 'unfused'
    return 'fused' if fused else None
