"""Official / earlier hvt_mm LightViT state dicts -> hvt_mm LightViT."""
from pathlib import Path

import pytest
import torch
from torch.testing import assert_close

from hvt_mm.checkpoint.lightvit import convert
from hvt_mm.models.backbones import LightViT
from tests.official_keys import official_shapes

FIXTURE = Path(__file__).parents[1] / 'data' / 'legacy_layout' / \
    'lightvit_tiny.pt'

# Official (= hvt_mm's earlier) name -> hvt_mm name, one of each kind.
RENAMES = {
    'patch_embed.stem.0.weight': 'stem.convs.0.weight',
    'patch_embed.stem.10.running_var': 'stem.convs.10.running_var',
    'patch_embed.proj.bias': 'stem.proj.bias',
    'patch_embed.norm.weight': 'stem.norm.weight',
    'global_token': 'global_token',
    'stages.0.0.attn.qkv.weight': 'stages.0.blocks.0.attn.qkv.weight',
    'stages.0.1.mlp.attn.norm.bias': 'stages.0.blocks.1.mlp.attn.norm.bias',
    'stages.1.0.reduction.weight': 'stages.1.downsample.reduction.weight',
    'stages.1.0.norm2.bias': 'stages.1.downsample.norm2.bias',
    'stages.1.1.norm1.weight': 'stages.1.blocks.0.norm1.weight',
    'stages.2.6.mlp.fc2.weight': 'stages.2.blocks.5.mlp.fc2.weight',
    'stages.1.12.norm1.weight': 'stages.1.blocks.11.norm1.weight',
    # earlier hvt_mm only: new layers and the inference form
    'trans_conv.weight': 'trans_conv.weight',
    'norm0.weight': 'norm0.weight',
    'norm3.bias': 'norm3.bias',
    'patch_embed.stem.3.bias': 'stem.convs.3.bias',
    'stages.2.1.attn.relative_position_bias':
        'stages.2.blocks.0.attn.relative_position_bias',
}  # yapf: disable


def _official_names():
    return list(official_shapes('lightvit_tiny'))


def test_renames_each_kind_of_entry():
    state = {k: torch.zeros(1) for k in RENAMES}
    out = convert(state)
    assert list(out) == list(RENAMES.values())
    assert all(out[RENAMES[k]] is state[k] for k in state)


def test_official_file_drops_classifier_and_derived_buffers_only():
    names = _official_names()
    state = {n: torch.full((1, ), float(i)) for i, n in enumerate(names)}
    out = convert(state)
    dropped = {
        'norm.weight', 'norm.bias', 'neck.0.weight', 'neck.0.bias',
        'neck.1.weight', 'neck.1.bias', 'head.weight', 'head.bias'
    } | {n
         for n in names if n.endswith('.relative_position_index')}
    assert len(dropped) == 8 + 14  # head entries + one index per block
    assert len(out) == len(names) - len(dropped)
    # Same tensors in the same order, under the new names only.
    kept = [n for n in names if n not in dropped]
    assert len(kept) == len(out)
    assert all(v is state[n] for v, n in zip(out.values(), kept))
    assert not any(
        k.startswith(('patch_embed.', 'norm.', 'head.')) for k in out)
    assert sum(k.startswith('stages.1.downsample.') for k in out) == 7
    assert sum(k.startswith('stages.2.blocks.5.') for k in out) == 25
    with torch.device('meta'):
        model = LightViT('t', out_indices=(1, 2, 3))
    assert set(out) == set(model.state_dict()) - {
        f'norm{i}.{p}'
        for i in (1, 2, 3)
        for p in ('weight', 'bias')
    }


def test_idempotent_and_identity_on_the_new_layout():
    state = {
        'norm.weight': torch.ones(2),
        'norm0.weight': torch.ones(2),
        'norm12.bias': torch.ones(2),
        'neck.0.bias': torch.ones(2),
        'stages.0.0.norm1.weight': torch.ones(2),
        'stages.0.0.attn.relative_position_index': torch.zeros(2),
        'trans_conv.weight': torch.ones(2)
    }
    once = convert(state)
    assert list(once) == [
        'norm0.weight', 'norm12.bias', 'stages.0.blocks.0.norm1.weight',
        'trans_conv.weight'
    ]
    twice = convert(once)
    assert list(twice) == list(once)
    assert all(twice[k] is once[k] for k in once)
    new = LightViT(dict(LightViT.arch_zoo['t'], depths=[1, 2, 1])).state_dict()
    converted = convert(new)
    assert list(converted) == list(new)
    assert all(converted[k] is new[k] for k in new)


def test_whole_detector_keys_keep_their_prefix():
    out = convert({
        'backbone.patch_embed.stem.0.weight': torch.zeros(1),
        'backbone.stages.1.0.proj.weight': torch.zeros(1),
        'backbone.stages.1.2.norm1.weight': torch.zeros(1),
        'neck.lateral_convs.0.conv.weight': torch.zeros(1),
        'backbone.norm1.weight': torch.zeros(1),
    })
    assert list(out) == [
        'backbone.stem.convs.0.weight',
        'backbone.stages.1.downsample.proj.weight',
        'backbone.stages.1.blocks.1.norm1.weight', 'backbone.norm1.weight'
    ]


def test_unwraps_containers_and_module_prefix():
    tensor = torch.zeros(1, 8, 64)
    for ckpt in ({
            'state_dict': {
                'global_token': tensor,
                'head.bias': tensor
            }
    }, {
            'model': {
                'module.global_token': tensor
            },
            'ema_model': {
                'global_token': tensor + 1
            },
            'epoch': 299
    }, {
            'module.global_token': tensor
    }):
        out = convert(ckpt)
        assert list(out) == ['global_token'] and out['global_token'] is tensor


@pytest.mark.parametrize('load', ['init_cfg', 'load_state_dict'])
def test_earlier_hvt_mm_layout_gives_the_same_outputs(tmp_path, load):
    """``tests/data/legacy_layout/lightvit_tiny.pt`` was written by the
    LightViT of commit 9c2d8ca (the layout named as in the official
    checkpoints: ``patch_embed.*``, ``stages.{s}.{j}`` with the merge at
    index 0): a tiny custom arch (the fixture's ``arch``) built with
    ``torch.manual_seed(0)`` and default arguments, every parameter set to
    ``0.2 * randn`` and the stem BatchNorms' running means to ``0.2 *
    randn`` and variances to ``rand + 0.5`` (generator seed 1), then in
    eval mode run on a fixed ``(1, 3, 35, 45)`` input (odd size: padded
    windows and merges); it holds that state dict, the input and the four
    outputs. Loaded into today's layout through the converter, the outputs
    must be exactly equal.
    """
    fixture = torch.load(FIXTURE, weights_only=True)
    state = fixture['state']
    assert any(k.startswith('patch_embed.') for k in state)  # old names
    if load == 'init_cfg':
        path = str(tmp_path / 'old.pth')
        torch.save({'state_dict': state}, path)
        model = LightViT(
            fixture['arch'], init_cfg=dict(type='Pretrained', checkpoint=path))
        model.init_weights()
    else:
        model = LightViT(fixture['arch'])
        model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        outs = model(fixture['input'])
    assert len(outs) == len(fixture['outputs']) == 4
    for out, expected in zip(outs, fixture['outputs']):
        # stored on another CPU: float32 kernels differ there in the last
        # bits; a wrongly mapped weight changes outputs far more
        assert_close(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('prefix', ['', 'backbone.'])
def test_official_detector_stage_norms_become_levels_1_to_3(prefix):
    """The published detectors name the stage norms norm0..2; hvt_mm's
    norm0 is the stride-4 level, so they move up by one."""
    state = {
        f'{prefix}norm{i}.{p}': torch.full((4, ), float(i))
        for i in range(3)
        for p in ('weight', 'bias')
    }
    state[f'{prefix}global_token'] = torch.zeros(1, 512, 4)
    out = convert(state)
    assert sorted(out) == sorted([
        f'{prefix}norm{i}.{p}' for i in (1, 2, 3) for p in ('weight', 'bias')
    ] + [f'{prefix}global_token'])
    for i in range(3):
        assert out[f'{prefix}norm{i + 1}.weight'] is \
            state[f'{prefix}norm{i}.weight']
    assert convert(out).keys() == out.keys()  # idempotent


def test_hvt_mm_norms_keep_their_levels():
    """hvt_mm state dicts with level 0 hold trans_conv; without level 0
    they have no norm0: neither is renamed."""
    with_level0 = {
        'trans_conv.weight': torch.zeros(1),
        'norm0.weight': torch.zeros(1),
        'norm1.weight': torch.zeros(1)
    }
    levels_1_to_3 = {f'norm{i}.weight': torch.zeros(1) for i in (1, 2, 3)}
    for state in (with_level0, levels_1_to_3):
        assert list(convert(state)) == list(state)
