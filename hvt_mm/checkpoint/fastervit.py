"""Official FasterViT checkpoints (NVlabs/FasterViT) -> hvt_mm ``FasterViT``.

The official files are timm containers; :mod:`hvt_mm.checkpoint.io`
unwraps them and strips ``module.``. :func:`convert` then

* keeps only ``encoder.*`` entries (stripped) when the file stores the
  backbone under ``encoder.`` (as the reference loader does);
* drops the classifier ``head.*``;
* drops derived position buffers (``relative_coords_table``,
  ``relative_position_index``, ``relative_bias``), which we compute per
  input size;
* drops the alias ``global_tokenizer.to_global_feature.pos.*`` (the same
  conv as ``global_tokenizer.pos_embed.*``, which we store once);
* renames the classifier's final BatchNorm ``norm.*`` to ``norm3.*``, the
  output norm of the last stage (same input). The loader keeps it only if
  ``norm3`` has exactly those keys and shapes (a BN output norm).

The function is pure and idempotent, so converted files convert to
themselves.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

DERIVED = re.compile(r'\.(relative_coords_table|relative_position_index|'
                     r'relative_bias)$')
TOKENIZER_ALIAS = '.global_tokenizer.to_global_feature.pos.'
TOKENIZER_CONV = '.global_tokenizer.pos_embed.'
CLASSIFIER_NORM = 'norm.'
LAST_OUTPUT_NORM = 'norm3.'


def convert(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Official (or already converted) state dict -> hvt_mm layout."""
    if any(k.startswith('encoder.') for k in state):
        state = OrderedDict((k[len('encoder.'):], v) for k, v in state.items()
                            if k.startswith('encoder.'))
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith('head.') or DERIVED.search(key):
            continue
        if TOKENIZER_ALIAS in key:
            own = key.replace(TOKENIZER_ALIAS, TOKENIZER_CONV)
            if own in state:
                continue
            key = own  # only the alias was saved: keep its weights
        if key.startswith(CLASSIFIER_NORM):
            key = LAST_OUTPUT_NORM + key[len(CLASSIFIER_NORM):]
        out[key] = value
    return out
