"""Official EfficientViT (MIT) checkpoints -> hvt_mm state dicts.

Our modules keep the official names, so conversion is only about prefixes:

* :func:`convert` (backbone only, used by ``init_cfg=Pretrained``): strip
  ``backbone.``, drop classification/segmentation heads; timm re-hosted
  classification weights (``stem.in_conv``, ``stem.res{i}``,
  ``stages.{s}.blocks.{j}``; the only source of B0 ImageNet weights) are
  renamed to the official layout (inner names are identical).
* :func:`convert_segmentor`: a full official segmentation file to an mmseg
  ``EncoderDecoder`` state dict (``backbone.*`` + ``decode_head.*``, the
  classifier conv becoming ``decode_head.conv_seg``), loadable strictly into
  ``EfficientViT`` + :class:`~hvt_mm.models.decode_heads.EfficientViTHead`.

Both are pure and idempotent.
"""
import re
from collections import OrderedDict
from typing import Any, Dict

import torch

from .io import unwrap_state_dict

StateDict = Dict[str, torch.Tensor]
HEAD_PREFIXES = ('head.', 'decode_head.', 'auxiliary_head.')
_CLASSIFIER = re.compile(r'^head\.output_ops\.0\.op_list\.(\d+)\.')

_TIMM_STEM = re.compile(r'^stem\.(?:in_conv|res(\d+))\.')
_TIMM_STAGE = re.compile(r'^stages\.(\d+)\.blocks\.(\d+)\.')


def _timm_key(key: str, large: bool) -> str:
    """timm ``efficientvit_mit`` name -> official name (L stages shift by
    one because the official L model calls its stem ``stages.0``)."""
    match = _TIMM_STEM.match(key)
    if match:
        index = 0 if match.group(1) is None else int(match.group(1)) + 1
        stem = 'stages.0' if large else 'input_stem'
        return f'{stem}.op_list.{index}.{key[match.end():]}'
    match = _TIMM_STAGE.match(key)
    if match:
        stage = int(match.group(1)) + (1 if large else 0)
        return f'stages.{stage}.op_list.{match.group(2)}.{key[match.end():]}'
    return key


def convert(state: StateDict) -> StateDict:
    """Backbone tensors of an official cls/seg, timm or converted state
    dict."""
    timm = 'stem.in_conv.conv.weight' in state
    large = any(k.startswith('stem.res0.main.conv1.') for k in state)
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith(HEAD_PREFIXES):
            continue
        if key.startswith('backbone.'):
            key = key[len('backbone.'):]
        out[_timm_key(key, large) if timm else key] = value
    return out


def convert_segmentor(checkpoint: Any) -> StateDict:
    """Official ``efficientvit_seg_*.pt`` (wrapped or bare) -> mmseg keys.

    ``head.input_ops/middle/output_ops.0.op_list.0`` (final expand) keep
    their names under ``decode_head.``; the last ``output_ops.0.op_list``
    entry (the classifier, index 1 or 0) becomes ``decode_head.conv_seg``.
    """
    state = unwrap_state_dict(checkpoint)
    indices = [int(m.group(1)) for m in map(_CLASSIFIER.match, state) if m]
    if not indices and not any(k.startswith('decode_head.') for k in state):
        raise ValueError(
            'Not an EfficientViT segmentation checkpoint: no '
            '`head.output_ops.0.op_list.*` classifier keys. Classification '
            'files only initialise the backbone (use `convert`).')
    classifier = max(indices, default=-1)
    out = OrderedDict()
    for key, value in state.items():
        match = _CLASSIFIER.match(key)
        if match and int(match.group(1)) == classifier:
            out['decode_head.conv_seg.' + key.rsplit('.', 1)[1]] = value
        elif key.startswith('head.'):
            out['decode_head.' + key[len('head.'):]] = value
        elif key.startswith(('backbone.', 'decode_head.')):
            out[key] = value
        else:
            raise ValueError(f'Unexpected key {key!r} in an EfficientViT '
                             'segmentation checkpoint (expected backbone.* '
                             'or head.*).')
    return out
