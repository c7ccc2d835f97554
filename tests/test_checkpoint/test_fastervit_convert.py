"""FasterViT checkpoints: what the converter keeps, drops and renames.

Official layouts are in ``tests/data/keys/fastervit_*.txt``. Checkpoints of
hvt_mm's layout before the shared ``stem``/``stages`` one are represented
by ``tests/data/legacy_layout/fastervit_tiny.pt``, made once from commit
9c2d8ca's code (a ``git worktree`` of it on ``PYTHONPATH``): a
``FasterViT(arch=LEGACY_ARCH_OLD_KEYS)`` seeded with
``torch.manual_seed(0)``, every floating state-dict entry (parameters and
BatchNorm running statistics) overwritten with seeded random values, put
in eval mode; saved: its ``state_dict()`` (``state_dict``), the outputs for
one seeded ``(1, 3, 41, 57)`` input (``input``, ``outputs``), and, after
``switch_to_deploy()``, the fused state dict and its outputs
(``deploy_state_dict``, ``deploy_outputs``).
"""
import argparse
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from hvt_mm.checkpoint.fastervit import convert
from hvt_mm.models.backbones.fastervit import FasterViT
from tests.backbone_families import FASTERVIT
from tests.official_keys import meta_state, official_shapes, random_state

LISTS = [keys for files in FASTERVIT.official.values() for keys, _ in files]
TOKENIZER = 'levels.2.global_tokenizer.'

LEGACY = Path(__file__).parents[1] / 'data' / 'legacy_layout' / \
    'fastervit_tiny.pt'
#: The fixture's arch in commit 9c2d8ca's keys (stage widths
#: ``embed_dims * 2**i``, stem width ``in_dims``) ...
LEGACY_ARCH_OLD_KEYS = dict(
    embed_dims=2,
    in_dims=4,
    depths=[1, 1, 1, 1],
    num_heads=[1, 1, 2, 2],
    window_sizes=[7, 7, 2, 2],
    hat=[False, False, True, False],
    layer_scale=0.5,
    do_propagation=True,
    drop_path_rate=0.)
#: ... and in today's: conv stages, a hierarchical HAT stage (carrier
#: tokens, propagation; window 2, so the 41x57 input's 3x4 map there is
#: padded to 2x2 windows) and a plain HAT stage, every stage but the first
#: behind a downsample.
LEGACY_ARCH = dict(
    stem_dims=4,
    embed_dims=[2, 4, 8, 16],
    depths=[1, 1, 1, 1],
    num_heads=[1, 1, 2, 2],
    window_sizes=[7, 7, 2, 2],
    hat=[False, False, True, False],
    layer_scale_init=0.5,
    do_propagation=True,
    drop_path_rate=0.)


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
    assert all(k.startswith(('stem.', 'stages.', 'norm3.')) for k in converted)
    assert not any('gamma' in k for k in converted)
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
        'stages.2.carrier_tokenizer.pos_embed.weight',
        'stem.conv_down.0.weight'
    ]
    assert out['stages.2.carrier_tokenizer.pos_embed.weight'] is conv


def test_convert_maps_official_names_to_the_shared_layout():
    names = {
        'patch_embed.conv_down.4.running_var': 'stem.conv_down.4.running_var',
        'levels.0.blocks.1.conv2.weight': 'stages.0.blocks.1.conv2.weight',
        # the downsample ending level i leads into stage i + 1
        'levels.0.downsample.norm.weight': 'stages.1.downsample.norm.weight',
        'levels.2.downsample.reduction.0.weight':
        'stages.3.downsample.reduction.0.weight',
        'levels.2.global_tokenizer.pos_embed.bias':
        'stages.2.carrier_tokenizer.pos_embed.bias',
        'levels.2.blocks.3.gamma1':
        'stages.2.blocks.3.hat_layer_scale1.weight',
        'levels.2.blocks.3.gamma2':
        'stages.2.blocks.3.hat_layer_scale2.weight',
        'levels.3.blocks.0.gamma3': 'stages.3.blocks.0.layer_scale1.weight',
        'levels.3.blocks.0.gamma4': 'stages.3.blocks.0.layer_scale2.weight',
        'levels.2.blocks.0.hat_attn.pos_emb_funct.cpb_mlp.0.weight':
        'stages.2.blocks.0.hat_attn.pos_emb_funct.cpb_mlp.0.weight',
        # inference form of the earlier hvt_mm layout
        'levels.2.blocks.0.pos_embed.embedding':
        'stages.2.blocks.0.pos_embed.embedding',
        'norm2.weight': 'norm2.weight',
    }
    state = {k: torch.zeros(1) for k in names}
    out = convert(state)
    assert list(out) == list(names.values())
    again = convert(out)
    assert list(again) == list(out)
    assert all(again[k] is out[k] for k in out)


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


@pytest.fixture(scope='module')
def legacy():
    """The earlier layout's checkpoint, inputs and outputs (see above)."""
    return torch.load(LEGACY, weights_only=True)


def test_legacy_fixture_arch_is_the_documented_one(legacy):
    assert legacy['arch'] == LEGACY_ARCH_OLD_KEYS
    old = LEGACY_ARCH_OLD_KEYS
    assert LEGACY_ARCH['embed_dims'] == [
        old['embed_dims'] * 2**i for i in range(len(old['depths']))
    ]
    assert LEGACY_ARCH['stem_dims'] == old['in_dims']
    assert LEGACY_ARCH['layer_scale_init'] == old['layer_scale']
    assert any(k.startswith('levels.') for k in legacy['state_dict'])


# Stored on another CPU: float32 kernels differ there in the last bits;
# a wrongly mapped weight changes outputs by orders of magnitude more.
STORED_TOLERANCE = dict(rtol=1e-4, atol=1e-5)


def assert_outputs_equal(model, legacy, key='outputs'):
    with torch.no_grad():
        outs = model.eval()(legacy['input'])
    assert len(outs) == len(legacy[key]) == 4
    for ours, theirs in zip(outs, legacy[key]):
        torch.testing.assert_close(ours, theirs, **STORED_TOLERANCE)


def test_legacy_layout_loads_through_init_cfg_with_stored_outputs(legacy):
    model = FasterViT(
        arch=LEGACY_ARCH,
        init_cfg=dict(type='Pretrained', checkpoint=str(LEGACY)))
    model.init_weights()  # strict: raises on missing or unexpected keys
    assert model.state_dict().keys() == convert(legacy['state_dict']).keys()
    assert_outputs_equal(model, legacy)


def test_legacy_fused_layout_loads_into_deploy_model_with_stored_outputs(
        legacy):
    model = FasterViT(arch=LEGACY_ARCH, deploy=True)
    result = model.load_state_dict(legacy['deploy_state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert_outputs_equal(model, legacy, 'deploy_outputs')


def test_legacy_detector_checkpoint_loads_by_prefix_and_load_from(
        legacy, tmp_path):
    detector = {f'backbone.{k}': v for k, v in legacy['state_dict'].items()}
    detector['neck.conv.weight'] = torch.zeros(1)
    path = str(tmp_path / 'detector.pth')
    torch.save({'state_dict': detector, 'meta': {}}, path)
    model = FasterViT(
        arch=LEGACY_ARCH,
        init_cfg=dict(type='Pretrained', checkpoint=path, prefix='backbone.'))
    model.init_weights()
    assert_outputs_equal(model, legacy)

    # mmengine's load_from loads the whole detector's state dict
    whole = nn.Module()
    whole.backbone = FasterViT(arch=LEGACY_ARCH)
    whole.neck = nn.Module()
    whole.neck.conv = nn.Linear(1, 1, bias=False)
    whole.neck.conv.weight.data = torch.zeros(1, 1)
    detector['neck.conv.weight'] = torch.zeros(1, 1)
    result = whole.load_state_dict(detector, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert_outputs_equal(whole.backbone, legacy)


def test_model_container_with_module_and_encoder_prefixes(legacy, tmp_path):
    # official names (the earlier layout's), the tokenizer conv alias and
    # a derived buffer, under module.encoder. in a 'model' container
    state = {f'module.encoder.{k}': v for k, v in legacy['state_dict'].items()}
    conv = 'module.encoder.levels.2.global_tokenizer.'
    state[conv + 'to_global_feature.pos.weight'] = state[conv +
                                                         'pos_embed.weight']
    state['module.encoder.levels.2.blocks.0.attn.pos_emb_funct.'
          'relative_bias'] = torch.zeros(1, 2, 8, 8)
    path = str(tmp_path / 'model.pth')
    torch.save({'model': state}, path)
    target = FasterViT(
        arch=LEGACY_ARCH, init_cfg=dict(type='Pretrained', checkpoint=path))
    target.init_weights()
    for name, value in convert(legacy['state_dict']).items():
        assert torch.equal(target.state_dict()[name], value), name
    assert_outputs_equal(target, legacy)
