"""Official FasterViT checkpoints: what the converter keeps, drops and
renames (the official layouts are in ``tests/data/keys/fastervit_*.txt``).
"""
import argparse

import pytest
import torch

from hvt_mm.checkpoint.fastervit import convert
from hvt_mm.models.backbones.fastervit import FasterViT
from tests.backbone_families import FASTERVIT
from tests.official_keys import meta_state, official_shapes, random_state

LISTS = [keys for files in FASTERVIT.official.values() for keys, _ in files]
TOKENIZER = 'levels.2.global_tokenizer.'


def official_state(keys: str, meta: bool = False) -> dict:
    """Official entries; the tokenizer alias is the same tensor as the conv
    (registered twice in the official model)."""
    shapes = official_shapes(keys)
    state = meta_state(shapes) if meta else random_state(shapes)
    alias = TOKENIZER + 'to_global_feature.pos.weight'
    if alias in state:
        state[alias] = state[TOKENIZER + 'pos_embed.weight']
    return state


@pytest.mark.parametrize('keys', LISTS)
def test_convert_drops_derived_alias_and_head_and_is_idempotent(keys):
    state = official_state(keys, meta=True)
    converted = convert(state)
    assert not any(
        k.startswith('head.') or 'relative_' in k or 'to_global_feature' in k
        for k in converted)
    assert [k for k in converted if k.startswith('norm3.')] == [
        'norm3.' + s for s in ('weight', 'bias', 'running_mean', 'running_var',
                               'num_batches_tracked')
    ]
    again = convert(converted)
    assert list(again) == list(converted)
    assert all(again[k] is converted[k] for k in again)


def test_convert_encoder_prefix_and_lone_alias():
    conv = torch.randn(4, 1, 3, 3)
    state = {
        'encoder.levels.2.global_tokenizer.to_global_feature.pos.weight': conv,
        'encoder.patch_embed.conv_down.0.weight': torch.randn(2, 3, 3, 3),
        'decoder.layer.weight': torch.randn(2),  # not part of the encoder
    }
    out = convert(state)
    assert list(out) == [
        'levels.2.global_tokenizer.pos_embed.weight',
        'patch_embed.conv_down.0.weight'
    ]
    assert out['levels.2.global_tokenizer.pos_embed.weight'] is conv


def save_timm_container(state, path):
    torch.save(
        {
            'epoch': 299,
            'arch': 'faster_vit_0_224',
            'state_dict': state,
            'optimizer': {
                'state': {},
                'param_groups': [{
                    'lr': 1e-3
                }]
            },
            'version': 2,
            'args': argparse.Namespace(model='faster_vit_0_224', lr=1e-3),
            'amp_scaler': {
                'scale': 65536.0
            },
            'metric': 82.1,
        }, path)


@pytest.fixture(scope='module')
def f0_file(tmp_path_factory):
    state = official_state('fastervit_0_224')
    path = tmp_path_factory.mktemp('fastervit') / 'fastervit_0_224_1k.pth.tar'
    save_timm_container(state, str(path))
    return state, str(path)


@pytest.mark.parametrize('out_norm', ['BN', 'LN2d'])
def test_official_container_loads_through_init_cfg(f0_file, out_norm):
    state, path = f0_file
    model = FasterViT(
        arch='0',
        out_norm_cfg=dict(type=out_norm),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    norm3_before = model.norm3.weight.detach().clone()
    model.init_weights()
    own = model.state_dict()
    for name, value in convert(state).items():
        if name.startswith('norm3.') and out_norm != 'BN':
            continue
        assert torch.equal(own[name], value), name
    if out_norm == 'BN':
        assert torch.equal(model.norm3.running_var, state['norm.running_var'])
    else:  # a BN cannot seed a channel LayerNorm: left as initialised
        assert torch.equal(model.norm3.weight, norm3_before)


def test_model_container_with_module_and_encoder_prefixes(tmp_path):
    arch = FASTERVIT.cases[0].arch
    source = FasterViT(arch=arch)
    # official layout: alias of the tokenizer conv plus derived buffers
    state = {f'module.encoder.{k}': v for k, v in source.state_dict().items()}
    conv = 'module.encoder.levels.2.global_tokenizer.'
    state[conv + 'to_global_feature.pos.weight'] = state[conv +
                                                         'pos_embed.weight']
    state['module.encoder.levels.2.blocks.0.attn.pos_emb_funct.'
          'relative_bias'] = torch.zeros(1, 2, 53, 53)
    path = str(tmp_path / 'model.pth')
    torch.save({'model': state}, path)
    target = FasterViT(
        arch=arch, init_cfg=dict(type='Pretrained', checkpoint=path))
    target.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[name], value), name
