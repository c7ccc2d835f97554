"""Official DINO checkpoints (IDEA-Research layout) -> mmdet 3.x ``DINO``.

The FasterViT DINO detectors (NVlabs/FasterViT
``downstream/object_detection/dino``, built on IDEA-Research/DINO) are saved
as ``{"model": ..., "args": Namespace, ...}``; ``model`` is read.

Renames (official -> mmdet):

* ``backbone.0.*`` -> ``backbone.*`` in FasterViT names (:mod:`.fastervit`);
* ``input_proj.{l}.{0,1}``: 1x1 -> ``neck.convs.{l}.{conv,gn}``, the 3x3
  stride-2 ones -> ``neck.extra_convs.{j}.{conv,gn}``;
* ``transformer.level_embed`` / ``tgt_embed`` / ``enc_output`` /
  ``enc_output_norm`` -> ``level_embed`` / ``query_embedding`` /
  ``memory_trans_fc`` / ``memory_trans_norm``;
* ``transformer.encoder.layers.i.{norm1, linear1, linear2, norm2}`` ->
  ``encoder.layers.i.{norms.0, ffn.layers.0.0, ffn.layers.1, norms.1}``;
* ``transformer.decoder.layers.i.{self_attn, norm2, norm1, linear1,
  linear2, norm3}`` -> ``decoder.layers.i.{self_attn.attn, norms.0,
  norms.1, ffn.layers.0.0, ffn.layers.1, norms.2}`` (``cross_attn`` and
  the encoder's ``self_attn`` keep their names);
* ``transformer.decoder.{norm, ref_point_head}`` -> ``decoder.*``;
* ``class_embed.i`` / ``bbox_embed.i.layers.{0,1,2}`` ->
  ``bbox_head.cls_branches.i`` / ``reg_branches.i.{0,2,4}``, and
  ``transformer.enc_out_{class,bbox}_embed`` -> branch
  ``num_decoder_layers`` (the encoder's);
* ``label_enc`` -> ``dn_query_generator.label_embedding``.

The decoder layers' self-attention norm is ``norm2`` in the official code
and comes first in mmdet's ``norms``. ``transformer.decoder.class_embed``
and ``bbox_embed`` are second names of the shared ``class_embed`` /
``bbox_embed`` modules and are dropped; the official decoder shares one
box and one class branch across its layers, mmdet keeps a copy per layer
(equal at conversion, trained apart afterwards).

Classes: the official heads have 91 outputs indexed by COCO category id (0
and ten ids are unused); mmdet's have the 80 classes in order, so the rows
of :data:`COCO_CATEGORY_IDS` are kept (likewise for the denoising label
embedding, 92 rows). The 80 scores per query are unchanged.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

from . import fastervit
from .io import unwrap_state_dict

#: COCO's 80 category ids in mmdet's label order.
COCO_CATEGORY_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18,
                     19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35,
                     36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50,
                     51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
                     65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82,
                     84, 85, 86, 87, 88, 89, 90)

_ENCODER = {'norm1': 'norms.0', 'linear1': 'ffn.layers.0.0',
            'linear2': 'ffn.layers.1', 'norm2': 'norms.1'}  # yapf: disable
_DECODER = {'self_attn': 'self_attn.attn', 'norm2': 'norms.0',
            'norm1': 'norms.1', 'linear1': 'ffn.layers.0.0',
            'linear2': 'ffn.layers.1', 'norm3': 'norms.2'}  # yapf: disable
_TRANSFORMER = {'level_embed': 'level_embed', 'tgt_embed': 'query_embedding',
                'enc_output': 'memory_trans_fc',
                'enc_output_norm': 'memory_trans_norm'}  # yapf: disable
_MLP = re.compile(r'^layers\.(\d)\.(.*)$')
_LAYER = re.compile(r'^(encoder|decoder)\.layers\.(\d+)\.([^.]+)\.(.*)$')
_HEAD = re.compile(r'^(class|bbox)_embed\.(\d+)\.(.*)$')
_INPUT_PROJ = re.compile(r'^input_proj\.(\d+)\.([01])\.(.*)$')


def _classes(tensor: torch.Tensor) -> torch.Tensor:
    """The rows of the 80 COCO categories (of 91 logits, 92 labels)."""
    return tensor[list(COCO_CATEGORY_IDS)]


def _branch(kind: str, index: int, rest: str) -> str:
    if kind == 'class':
        return f'bbox_head.cls_branches.{index}.{rest}'
    match = _MLP.match(rest)  # MLP layers.k -> Sequential index 2k
    return (f'bbox_head.reg_branches.{index}.{2 * int(match[1])}.'
            f'{match[2]}')


def _transformer(key: str, num_decoder_layers: int) -> str:
    """``transformer.*`` minus the prefix -> the mmdet name ('' drops)."""
    module, _, rest = key.partition('.')
    if module in _TRANSFORMER:
        return f'{_TRANSFORMER[module]}.{rest}' if rest else _TRANSFORMER[
            module]
    if module in ('enc_out_class_embed', 'enc_out_bbox_embed'):
        return _branch(module[len('enc_out_'):-len('_embed')],
                       num_decoder_layers, rest)
    if key.startswith(('decoder.class_embed.', 'decoder.bbox_embed.')):
        return ''  # second names of the shared head branches
    if key.startswith(('decoder.norm.', 'decoder.ref_point_head.')):
        return key
    match = _LAYER.match(key)
    if match is None:
        raise KeyError(f'unknown DINO transformer entry {key!r}')
    part, index, module, rest = match.groups()
    names = _ENCODER if part == 'encoder' else _DECODER
    module = names.get(module, module)  # attention modules keep names
    return f'{part}.layers.{index}.{module}.{rest}'


def convert(state_dict: Dict[str, torch.Tensor],
            num_decoder_layers: int = 6) -> Dict[str, torch.Tensor]:
    """An official DINO checkpoint (``model`` container, or its state
    dict) -> an mmdet ``DINO`` state dict with an hvt_mm FasterViT.

    Raises:
        KeyError: for entries that are not part of an official DINO model.
    """
    state = unwrap_state_dict(state_dict)
    backbone = OrderedDict((k[len('backbone.0.'):], v)
                           for k, v in state.items()
                           if k.startswith('backbone.0.'))
    out = OrderedDict(
        ('backbone.' + k, v) for k, v in fastervit.convert(backbone).items())
    # Levels past the backbone's come from 3x3 stride-2 convs.
    extra = sorted(
        int(m[1]) for k in state
        if (m := _INPUT_PROJ.match(k)) and m.group(2, 3) == (
            '0', 'weight') and state[k].shape[-1] == 3)
    for key, value in state.items():
        if key.startswith('backbone.0.'):
            continue
        if key.startswith('transformer.'):
            name = _transformer(key[len('transformer.'):], num_decoder_layers)
            if not name:
                continue
            if 'cls_branches' in name:
                value = _classes(value)
            out[name] = value
        elif key == 'label_enc.weight':
            out['dn_query_generator.label_embedding.weight'] = _classes(value)
        elif head := _HEAD.match(key):
            kind, index, rest = head.groups()
            out[_branch(kind, int(index), rest)] = (
                _classes(value) if kind == 'class' else value)
        elif proj := _INPUT_PROJ.match(key):
            level, part, rest = proj.groups()
            level = int(level)
            conv = (f'neck.extra_convs.{level - extra[0]}'
                    if level in extra else f'neck.convs.{level}')
            out[f'{conv}.{("conv", "gn")[int(part)]}.{rest}'] = value
        else:
            raise KeyError(f'unknown DINO entry {key!r}')
    return out
