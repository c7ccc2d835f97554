"""Official LightViT checkpoints (hunto/LightViT) -> hvt_mm ``LightViT``.

The official model (and hvt_mm's earlier layout, which kept its names) calls
the stem ``patch_embed`` with its conv/BN/GELU triplets in
``patch_embed.stem.N``, and stores stage ``s`` as one list
``stages.{s}.{j}``: for ``s > 0`` the merge at index 0 and the blocks after
it. hvt_mm's layout is ``stem`` (``stem.convs.N``, ``stem.proj``,
``stem.norm``) and ``stages.{s}.downsample`` / ``stages.{s}.blocks.{j}``:

=============================  ==================================
official                       hvt_mm
=============================  ==================================
``patch_embed.stem.N``         ``stem.convs.N``
``patch_embed.{proj,norm}``    ``stem.{proj,norm}``
``stages.0.{j}``               ``stages.0.blocks.{j}``
``stages.{s}.0`` (``s > 0``)   ``stages.{s}.downsample``
``stages.{s}.{j}`` (``j > 0``) ``stages.{s}.blocks.{j - 1}``
=============================  ==================================

``global_token`` and ``trans_conv`` keep their names. The classification
head (``norm``, ``neck``, ``head``) and the derived
``relative_position_index`` buffers are dropped. Inference-form entries
(folded stem convs' biases, ``relative_position_bias``) are renamed alike.

The official detectors name the output norms of the three stages
``norm0..2``; in hvt_mm level 0 is the new stride-4 level (``trans_conv``)
and the stages are levels 1-3, so those norms become ``norm1..3``. A state
dict is in the official detector layout when it has ``norm0`` but neither
``trans_conv`` (which every hvt_mm state dict with level 0 has) nor
``norm3``. Whole-detector state dicts (``backbone.`` prefix) are converted
alike.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

from .io import unwrap_state_dict

_DROP = re.compile(r'^(norm|neck|head)\.|(^|\.)relative_position_index$')
# An optional 'backbone.' keeps whole-detector state dicts convertible.
_STEM = re.compile(r'^((?:backbone\.)?)patch_embed\.(stem\.)?')
_STAGE = re.compile(r'^((?:backbone\.)?)stages\.(\d+)\.(\d+)\.')


def _stage_name(match: re.Match) -> str:
    prefix, stage, index = match.group(1), int(match.group(2)), int(
        match.group(3))
    if stage == 0:
        return f'{prefix}stages.0.blocks.{index}.'
    if index == 0:
        return f'{prefix}stages.{stage}.downsample.'
    return f'{prefix}stages.{stage}.blocks.{index - 1}.'


def _rename(key: str) -> str:
    key = _STEM.sub(
        lambda m: m.group(1) + ('stem.convs.' if m.group(2) else 'stem.'), key)
    return _STAGE.sub(_stage_name, key)


_NORM = re.compile(r'^((?:backbone\.)?)norm(\d)\.')


def _official_stage_norms(keys) -> bool:
    """Whether ``norm{i}`` are the official detector's stage norms."""
    names = {k.split('.')[0] for k in keys}
    return 'norm0' in names and not names & {'norm3', 'trans_conv'}


def _next_norm(match: re.Match) -> str:
    return f'{match.group(1)}norm{int(match.group(2)) + 1}.'


def convert(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Return the backbone entries of a LightViT state dict in hvt_mm names.

    Accepts official files, state dicts of hvt_mm's earlier layout (which
    used the official names; training or inference form) and converted
    ones (returned unchanged). Pure and idempotent; also accepts a
    ``state_dict``/``model`` container and strips a DataParallel
    ``module.`` prefix. Order and tensors are kept.
    """
    state = unwrap_state_dict(state_dict)
    state = OrderedDict(
        (_rename(k), v) for k, v in state.items() if not _DROP.search(k))
    if _official_stage_norms(k.removeprefix('backbone.') for k in state):
        state = OrderedDict(
            (_NORM.sub(_next_norm, k), v) for k, v in state.items())
    return state
