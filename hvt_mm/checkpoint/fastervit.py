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
  ``norm3`` has exactly those keys and shapes (a BN output norm);
* maps the official module names to hvt_mm's shared layout:

  ===================================  ===================================
  official (hvt_mm before the layout)  hvt_mm
  ===================================  ===================================
  ``patch_embed.*``                    ``stem.*``
  ``levels.i.blocks.j.*``              ``stages.i.blocks.j.*``
  ``levels.i.downsample.*``            ``stages.{i+1}.downsample.*``
  ``levels.i.global_tokenizer.*``      ``stages.i.carrier_tokenizer.*``
  ``blocks.j.gamma1``                  ``blocks.j.hat_layer_scale1.weight``
  ``blocks.j.gamma2``                  ``blocks.j.hat_layer_scale2.weight``
  ``blocks.j.gamma3``                  ``blocks.j.layer_scale1.weight``
  ``blocks.j.gamma4``                  ``blocks.j.layer_scale2.weight``
  ===================================  ===================================

  (the official downsample ends level i; ours leads into stage i + 1).

hvt_mm's layout before the shared one used the official names (plus its
output norms ``norm{i}`` and, in the inference form, fused biases and
precomputed position tables), so its checkpoints, fused ones and whole
detectors (after their ``backbone.`` prefix is selected) convert the same
way. The function is pure and idempotent: converted state dicts convert to
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

STEM = 'patch_embed.'
LEVEL = re.compile(r'^levels\.(\d+)\.(.*)$')
LAYER_SCALES = {
    'gamma1': 'hat_layer_scale1.weight',
    'gamma2': 'hat_layer_scale2.weight',
    'gamma3': 'layer_scale1.weight',
    'gamma4': 'layer_scale2.weight',
}
GAMMA = re.compile(r'^(blocks\.\d+\.)(gamma[1-4])$')


def _rename(key: str) -> str:
    """Official module name -> hvt_mm layout (other keys unchanged)."""
    if key.startswith(STEM):
        return 'stem.' + key[len(STEM):]
    match = LEVEL.match(key)
    if match is None:
        return key
    level, rest = int(match.group(1)), match.group(2)
    if rest.startswith('downsample.'):
        # the official downsample ends level i; ours leads into stage i + 1
        return f'stages.{level + 1}.{rest}'
    if rest.startswith('global_tokenizer.'):
        rest = 'carrier_tokenizer.' + rest[len('global_tokenizer.'):]
    gamma = GAMMA.match(rest)
    if gamma is not None:
        rest = gamma.group(1) + LAYER_SCALES[gamma.group(2)]
    return f'stages.{level}.{rest}'


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
        out[_rename(key)] = value
    return out
