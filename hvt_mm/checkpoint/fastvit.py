"""Official apple/ml-fastvit checkpoints -> hvt_mm FastViT state dicts.

Both official forms are accepted: the training form (``fastvit_*.pth.tar``,
keys ``rbr_*``, ``lkb_origin``, ``small_conv``, ``token_mixer.{norm,mixer}``,
``pe``) and the fused form (``fastvit_*_reparam.pth.tar``, keys
``reparam_conv``, ``lkb_reparam``); hvt_mm checkpoints saved before the
shared stage layout used the same names and are accepted too (also fused
ones, and detector checkpoints once their ``backbone.`` prefix is
selected). :func:`checkpoint_form` tells the two forms apart so a model can
refuse the wrong one.

Renames (official / old hvt_mm -> hvt_mm):

* ``patch_embed.*`` -> ``stem.*``;
* the flat ``network.N`` list ``[stage0, down1, stage1, down2, stage2,
  down3, (RepCPE,) stage3]``: a stage's blocks ``network.N.j`` ->
  ``stages.i.blocks.j``; the ``PatchEmbed`` leading into stage ``i``
  (``network.N.proj``) -> ``stages.i.downsample.proj``; the RepCPE before
  stage ``i`` (``network.N.pe`` / ``network.N.reparam_conv``) ->
  ``stages.i.pos_embed.*``;
* the blocks' ``layer_scale``, ``layer_scale_1``, ``layer_scale_2`` tensors
  ``(C, 1, 1)`` -> ``<name>.weight`` of shape ``(C,)`` (RepMixer's own
  ``token_mixer.layer_scale`` keeps its name and shape);
* the output norms of the official dense-prediction form
  (``fork_feat=True``), named by ``network`` index ``norm0``, ``norm2``,
  ``norm4``, ``norm6``, -> ``norm0..3`` (the level they normalise). The
  original takes its fourth output after ``network.6``, which for the
  variants with a RepCPE is the RepCPE, not stage 3; hvt_mm's level 3 is
  stage 3's output (same width, so the trained norm applies).

The kind of each ``network.N`` entry is read from its keys, so every
variant (with or without a RepCPE) converts without knowing the arch.
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
_NETWORK = re.compile(r'^network\.(\d+)\.(.+)$')
_FORK_NORM = re.compile(r'^norm(\d+)\.')
_BLOCK_SCALE = re.compile(
    r'^(stages\.\d+\.blocks\.\d+\.layer_scale(?:_1|_2)?)$')


def _network_prefixes(names: Iterable[str]) -> Dict[int, str]:
    """New prefix of each official ``network.N`` entry, from its keys."""
    suffixes: Dict[int, list] = {}
    for name in names:
        match = _NETWORK.match(name)
        if match:
            suffixes.setdefault(int(match[1]), []).append(match[2])
    prefixes, stage = {}, -1
    for index in sorted(suffixes):
        keys = suffixes[index]
        if any(re.match(r'\d+\.', k) for k in keys):
            stage += 1  # a stage: a Sequential of blocks
            prefixes[index] = f'stages.{stage}.blocks.'
        elif any(k.startswith('proj.') for k in keys):
            prefixes[index] = f'stages.{stage + 1}.downsample.'
        elif any(k.startswith(('pe.', 'reparam_conv.')) for k in keys):
            prefixes[index] = f'stages.{stage + 1}.pos_embed.'
        # anything else is not FastViT's: left as it is
    return prefixes


def _rename(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The renames of the module docstring; idempotent."""
    prefixes = _network_prefixes(state_dict)
    # Official fork_feat norms go up to norm6; hvt_mm's to norm3.
    fork_feat = any(
        int(m[1]) > 3 for m in map(_FORK_NORM.match, state_dict) if m)
    out = OrderedDict()
    for name, value in state_dict.items():
        if name.startswith('patch_embed.'):
            name = 'stem.' + name[len('patch_embed.'):]
        match = _NETWORK.match(name)
        if match and int(match[1]) in prefixes:
            name = prefixes[int(match[1])] + match[2]
        if fork_feat and _FORK_NORM.match(name):
            name = _FORK_NORM.sub(lambda m: f'norm{int(m[1]) // 2}.', name)
        if _BLOCK_SCALE.match(name):
            name += '.weight'
            if isinstance(value, torch.Tensor):
                value = value.reshape(-1)
        out[name] = value
    return out


def convert(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop classifier entries and non-tensors, strip ``module.``, rename.

    Pure and idempotent; accepts unfused and fused official layouts, hvt_mm
    state dicts of the earlier official-names layout and of the current
    one (returned unchanged).
    """
    kept = OrderedDict()
    for name, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            continue
        name = re.sub(r'^module\.', '', name)
        if not _HEAD.match(name):
            kept[name] = value
    return _rename(kept)


def checkpoint_form(keys: Iterable[str]) -> Optional[str]:
    """``'fused'``, ``'unfused'`` or None (no reparameterizable entries).

    A state dict counts as fused when it has fused entries and no training
    branches, so a fused SA/MA model (whose ConvFFN and attention blocks keep
    their BN) is still recognised. Works on official and converted names.
    """
    fused = unfused = False
    for key in keys:
        fused = fused or bool(_FUSED.search(key))
        unfused = unfused or bool(_UNFUSED.search(key))
    if unfused:
        return 'unfused'
    return 'fused' if fused else None
