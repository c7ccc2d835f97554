"""EfficientViT (MIT) checkpoints -> hvt_mm state dicts.

hvt_mm names (``stem.conv``, ``stem.blocks.j``, ``stages.i.downsample``,
``stages.i.blocks.j``; mmcv's ``bn`` for conv-unit norms) differ from every
source layout, which are all renamed here (inner block names are shared):

========================  ==========================  ====================
official B (and hvt_mm    official L (and hvt_mm      timm
before the shared layout) before the shared layout)
========================  ==========================  ====================
``input_stem.op_list.0``  ``stages.0.op_list.0``      ``stem.in_conv``
``input_stem.op_list.j``  ``stages.0.op_list.j``      ``stem.res{j-1}``
``stages.s.op_list.0``    ``stages.{s+1}.op_list.0``  ``stages.s.blocks.0``
``stages.s.op_list.j``    ``stages.{s+1}.op_list.j``  ``stages.s.blocks.j``
``*.norm.*``              ``*.norm.*``                ``*.norm.*``
========================  ==========================  ====================

become ``stem.conv``, ``stem.blocks.{j-1}``, ``stages.s.downsample``,
``stages.s.blocks.{j-1}`` and ``*.bn.*``. The ``bn`` name is what mmcv
gives BatchNorm and SyncBN, the norms of every released model; a model
built with another norm type loads only checkpoints written by itself.

* :func:`convert` (backbone only, used by ``init_cfg=Pretrained``): strip
  ``backbone.``, drop classification/segmentation heads, rename.
* :func:`convert_segmentor`: a full official segmentation file (or one
  written by hvt_mm) to an mmseg ``EncoderDecoder`` state dict
  (``backbone.*`` + ``decode_head.*``, the classifier conv becoming
  ``decode_head.conv_seg``), loadable strictly into ``EfficientViT`` +
  :class:`~hvt_mm.models.decode_heads.EfficientViTHead`.

Both are pure and idempotent (the hvt_mm layout maps to itself).
"""
import re
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable

import torch

from .io import unwrap_state_dict

StateDict = Dict[str, torch.Tensor]
HEAD_PREFIXES = ('head.', 'decode_head.', 'auxiliary_head.')
_CLASSIFIER = re.compile(r'^head\.output_ops\.0\.op_list\.(\d+)\.')

_OFFICIAL_STEM = re.compile(r'^input_stem\.op_list\.(\d+)\.')
_OFFICIAL_STAGE = re.compile(r'^stages\.(\d+)\.op_list\.(\d+)\.')
_TIMM_STEM = re.compile(r'^stem\.(?:in_conv|res(\d+))\.')
_TIMM_STAGE = re.compile(r'^stages\.(\d+)\.blocks\.(\d+)\.')
_NORM = re.compile(r'(?<=\.)norm(?=\.)')


def _block(prefix: str, index: int, rest: str, first: str) -> str:
    """Entry ``index`` of an official sequence: 0 -> ``first``, others ->
    ``blocks.{index - 1}``."""
    name = first if index == 0 else f'blocks.{index - 1}'
    return f'{prefix}.{name}.{rest}'


def _official_large(keys: Iterable[str]) -> bool:
    """Official L layouts hold their stem in ``stages.0`` (a conv unit
    first) and have a fifth ``stages.4``; B ones start with ``input_stem``."""
    for key in keys:
        if key.startswith(('stages.4.op_list.', 'stages.0.op_list.0.conv.')):
            return True
    return False


def _backbone_key(key: str, large: bool, timm: bool) -> str:
    """One backbone entry (no ``backbone.`` prefix) in hvt_mm names."""
    if timm:
        stem, stage = _TIMM_STEM.match(key), _TIMM_STAGE.match(key)
        if stem:
            index = 0 if stem.group(1) is None else int(stem.group(1)) + 1
            key = _block('stem', index, key[stem.end():], 'conv')
        elif stage:
            key = _block(f'stages.{stage.group(1)}', int(stage.group(2)),
                         key[stage.end():], 'downsample')
    else:
        stem, stage = _OFFICIAL_STEM.match(key), _OFFICIAL_STAGE.match(key)
        if stem:
            key = _block('stem', int(stem.group(1)), key[stem.end():], 'conv')
        elif stage:
            index = int(stage.group(1)) - (1 if large else 0)
            prefix = 'stem' if index < 0 else f'stages.{index}'
            key = _block(prefix, int(stage.group(2)), key[stage.end():],
                         'conv' if index < 0 else 'downsample')
    return _NORM.sub('bn', key)


def _key_mapper(keys: Iterable[str]) -> Callable[[str], str]:
    """The renaming of the backbone layout ``keys`` come from."""
    keys = list(keys)
    timm = 'stem.in_conv.conv.weight' in keys
    large = _official_large(keys)
    return lambda key: _backbone_key(key, large, timm)


def convert(state: StateDict) -> StateDict:
    """Backbone tensors of an official cls/seg, timm, earlier hvt_mm or
    converted state dict (detector/segmentor ``backbone.*`` included)."""
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith(HEAD_PREFIXES):
            continue
        if key.startswith('backbone.'):
            key = key[len('backbone.'):]
        out[key] = value
    rename = _key_mapper(out)
    return OrderedDict((rename(k), v) for k, v in out.items())


def convert_segmentor(checkpoint: Any) -> StateDict:
    """Official ``efficientvit_seg_*.pt`` (wrapped or bare) -> mmseg keys.

    ``head.input_ops/middle/output_ops.0.op_list.0`` (final expand) keep
    their names under ``decode_head.`` (conv-unit norms as ``bn``); the last
    ``output_ops.0.op_list`` entry (the classifier, index 1 or 0) becomes
    ``decode_head.conv_seg``. ``backbone.*`` entries are renamed as by
    :func:`convert`; segmentor state dicts written by hvt_mm (any layout)
    pass through the same renaming.
    """
    state = unwrap_state_dict(checkpoint)
    indices = [int(m.group(1)) for m in map(_CLASSIFIER.match, state) if m]
    if not indices and not any(k.startswith('decode_head.') for k in state):
        raise ValueError(
            'Not an EfficientViT segmentation checkpoint: no '
            '`head.output_ops.0.op_list.*` classifier keys. Classification '
            'files only initialise the backbone (use `convert`).')
    classifier = max(indices, default=-1)
    rename = _key_mapper(k[len('backbone.'):] for k in state
                         if k.startswith('backbone.'))
    out = OrderedDict()
    for key, value in state.items():
        match = _CLASSIFIER.match(key)
        if match and int(match.group(1)) == classifier:
            out['decode_head.conv_seg.' + key.rsplit('.', 1)[1]] = value
        elif key.startswith('head.'):
            out[_NORM.sub('bn', 'decode_head.' + key[len('head.'):])] = value
        elif key.startswith('decode_head.'):
            out[_NORM.sub('bn', key)] = value
        elif key.startswith('backbone.'):
            out['backbone.' + rename(key[len('backbone.'):])] = value
        else:
            raise ValueError(f'Unexpected key {key!r} in an EfficientViT '
                             'segmentation checkpoint (expected backbone.* '
                             'or head.*).')
    return out
