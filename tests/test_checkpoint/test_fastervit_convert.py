"""Official FasterViT checkpoints: conversion and strict loading.

State dicts are built from the recorded key lists of the official models
(``tests/data/keys/fastervit_*.txt``: ``name [shape] kind``), so every
official name and shape is checked without downloading weights.
"""
import argparse
import os.path as osp
from collections import OrderedDict

import pytest
import torch

from hvt_mm.checkpoint.fastervit import convert
from hvt_mm.checkpoint.loading import CheckpointMismatchError
from hvt_mm.models.backbones.fastervit import FasterViT

KEY_DIR = osp.join(osp.dirname(__file__), '..', 'data', 'keys')
LISTS = {
    '0': 'fastervit_0_224.txt',
    '3': 'fastervit_3_224.txt',
    '4_21k_224': 'fastervit_4_21k_224.txt'
}
COUNTS = {'0': 476, '3': 812, '4_21k_224': 520}


def key_list(arch):
    entries = []
    with open(osp.join(KEY_DIR, LISTS[arch])) as f:
        for line in f:
            name, rest = line.split(' ', 1)
            shape = rest[rest.index('[') + 1:rest.index(']')]
            shape = [int(s) for s in shape.split(',') if s.strip()]
            entries.append((name, shape, rest.split()[-1]))
    assert len(entries) == COUNTS[arch]
    return entries


def official_state(arch, device='cpu', seed=0):
    """Random tensors under exactly the official names and shapes."""
    gen = torch.Generator().manual_seed(seed) if device == 'cpu' else None
    state = OrderedDict()
    for name, shape, kind in key_list(arch):
        if name.endswith(('num_batches_tracked', 'relative_position_index')):
            state[name] = torch.zeros(shape, dtype=torch.long, device=device)
        elif kind == 'param_dup':  # alias of the tokenizer conv: same tensor
            state[name] = state[name.replace('to_global_feature.pos',
                                             'pos_embed')]
        elif device == 'meta':
            state[name] = torch.empty(shape, device='meta')
        else:
            state[name] = torch.randn(shape, generator=gen)
            if name.endswith('running_var'):
                state[name] = state[name].abs() + 0.5
    return state


def shapes(state):
    return {k: tuple(v.shape) for k, v in state.items()}


@pytest.mark.parametrize('arch', sorted(LISTS))
def test_official_keys_match_model_exactly(arch):
    converted = convert(official_state(arch, 'meta'))
    with torch.device('meta'):
        model = FasterViT(arch=arch, out_norm_cfg=dict(type='BN'))
    own = shapes(model.state_dict())
    # the classifier norm seeds the last output norm; the others are new
    new_norms = {
        k
        for k in own if k.startswith(('norm0.', 'norm1.', 'norm2.'))
    }
    assert shapes(converted) == {
        k: v
        for k, v in own.items() if k not in new_norms
    }


@pytest.mark.parametrize('arch', sorted(LISTS))
def test_convert_drops_derived_alias_and_head_and_is_idempotent(arch):
    state = official_state(arch, 'meta')
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
    state = official_state('0')
    path = tmp_path_factory.mktemp('fastervit') / 'fastervit_0_224_1k.pth.tar'
    save_timm_container(state, str(path))
    return state, str(path)


@pytest.mark.parametrize('out_norm', ['BN', 'LN2d'])
def test_official_container_loads_through_init_cfg(f0_file, out_norm):
    state, path = f0_file
    model = FasterViT(arch='0',
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


def test_checkpoint_of_another_variant_is_refused(f0_file):
    _, path = f0_file
    model = FasterViT(arch='1',
                      init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError) as info:
        model.init_weights()
    message = str(info.value)
    assert 'Shape mismatch' in message
    assert 'patch_embed.conv_down.0.weight: checkpoint (64, 3, 3, 3) vs ' \
        'model (32, 3, 3, 3)' in message
    assert 'Missing' in message  # F1: 8 blocks in stage 2, F0: 6


def test_checkpoint_of_another_family_is_refused(tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': {
        'stem.0.conv.weight': torch.zeros(8, 3, 3, 3)
    }}, path)
    model = FasterViT(arch=dict(embed_dims=16,
                                in_dims=8,
                                depths=[1, 1, 1, 1],
                                num_heads=[1, 1, 2, 2],
                                window_sizes=[7, 7, 7, 7],
                                hat=[False, False, True, False],
                                layer_scale=None,
                                do_propagation=False,
                                drop_path_rate=0.),
                      init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError,
                       match=r'Unexpected \(1\): stem\.0\.conv\.weight'):
        model.init_weights()


def test_model_container_with_module_and_encoder_prefixes(tmp_path):
    arch = dict(embed_dims=16,
                in_dims=8,
                depths=[1, 1, 2, 1],
                num_heads=[1, 1, 2, 2],
                window_sizes=[7, 7, 7, 7],
                hat=[False, False, True, False],
                layer_scale=1e-5,
                do_propagation=True,
                drop_path_rate=0.)
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
    target = FasterViT(arch=arch,
                       init_cfg=dict(type='Pretrained', checkpoint=path))
    target.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[name], value), name
