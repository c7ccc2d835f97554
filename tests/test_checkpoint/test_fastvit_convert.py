"""Official (and earlier hvt_mm) FastViT names -> the shared stage layout.

``tests/data/legacy_layout/fastvit_tiny.pt`` was made from the code at
commit 9c2d8ca (the layout with ``patch_embed`` and the flat, official
``network`` list): a tiny arch (``layers=[1, 1, 1, 1]``, ``embed_dims=[4, 8,
16, 32]``, ``mlp_ratios=[1] * 4``, RepMixer stages and a RepCPE + attention
last stage, ``layer_scale_init=1e-5``; the old key names) was built with
``torch.manual_seed(4)``, every parameter set to ``0.3 * randn`` and every
BatchNorm's running mean / variance randomised (``0.2 * randn`` /
``rand + 0.5``) from ``torch.Generator().manual_seed(4)``, put in eval mode
and run on a ``(1, 3, 36, 40)`` input; then ``switch_to_deploy()`` and the
same input again. The file holds ``arch`` (old keys), ``input``,
``state_dict``, ``outputs``, ``deploy_state_dict`` and ``deploy_outputs``.
"""
from pathlib import Path

import pytest
import torch
from mmengine.runner import load_checkpoint

from hvt_mm.checkpoint.fastvit import checkpoint_form, convert
from hvt_mm.models.backbones.fastvit import FastViT
from tests.official_keys import official_shapes

FIXTURE = Path(__file__).parents[1] / 'data' / 'legacy_layout' / \
    'fastvit_tiny.pt'
# the fixture's arch in today's keys
ARCH = dict(
    depths=[1, 1, 1, 1],
    embed_dims=[4, 8, 16, 32],
    mlp_ratios=[1, 1, 1, 1],
    block_types=['repmixer'] * 3 + ['attention'],
    pos_embeds=[False] * 3 + [True],
    layer_scale_init=1e-5)


@pytest.fixture(scope='module')
def legacy():
    return torch.load(FIXTURE, weights_only=True)


# Stored on another CPU: float32 kernels differ there in the last bits;
# a wrongly mapped weight changes outputs by orders of magnitude more.
STORED_TOLERANCE = dict(rtol=1e-4, atol=1e-5)


def _assert_outputs(model, legacy, key):
    with torch.no_grad():
        outs = model.eval()(legacy['input'])
    assert len(outs) == len(legacy[key]) == 4
    for out, expected in zip(outs, legacy[key]):
        torch.testing.assert_close(out, expected, **STORED_TOLERANCE)


def test_fixture_arch_is_the_documented_one(legacy):
    old = legacy['arch']
    assert old == dict(
        layers=ARCH['depths'],
        embed_dims=ARCH['embed_dims'],
        mlp_ratios=ARCH['mlp_ratios'],
        token_mixers=ARCH['block_types'],
        repcpe=ARCH['pos_embeds'],
        layer_scale_init=ARCH['layer_scale_init'])
    assert any(k.startswith('network.6.pe.') for k in legacy['state_dict'])


def test_legacy_layout_loads_through_init_cfg_with_stored_outputs(
        legacy, tmp_path):
    path = tmp_path / 'legacy.pth'
    torch.save({'state_dict': legacy['state_dict']}, path)
    model = FastViT(
        ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()  # strict: any missing/unexpected entry raises
    assert set(model.state_dict()) == set(convert(legacy['state_dict']))
    _assert_outputs(model, legacy, 'outputs')


def test_legacy_fused_layout_loads_into_deploy_model(legacy, tmp_path):
    path = tmp_path / 'legacy_fused.pth'
    torch.save(legacy['deploy_state_dict'], path)
    model = FastViT(ARCH, deploy=True)
    model.load_pretrained(str(path))
    _assert_outputs(model, legacy, 'deploy_outputs')


def test_legacy_detector_checkpoint_loads_both_ways(legacy, tmp_path):
    path = tmp_path / 'detector.pth'
    torch.save(
        {
            'state_dict': {
                **{
                    f'backbone.{k}': v
                    for k, v in legacy['state_dict'].items()
                },
                'neck.conv.weight': torch.zeros(1),
            }
        }, path)
    model = FastViT(
        ARCH,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    model.init_weights()
    _assert_outputs(model, legacy, 'outputs')
    # mmengine's load_from of the whole detector: renamed on load
    detector = torch.nn.Module()
    detector.backbone = FastViT(ARCH)
    detector.neck = torch.nn.Module()
    detector.neck.conv = torch.nn.Module()
    detector.neck.conv.weight = torch.nn.Parameter(torch.ones(1))
    load_checkpoint(detector, str(path), strict=True)
    _assert_outputs(detector.backbone, legacy, 'outputs')


def test_mapping_of_every_module_kind(legacy):
    out = convert(legacy['state_dict'])
    old = legacy['state_dict']
    pairs = {
        'patch_embed.0.rbr_conv.0.conv.weight':
        'stem.0.rbr_conv.0.conv.weight',
        'network.0.0.token_mixer.layer_scale':
        'stages.0.blocks.0.token_mixer.layer_scale',
        'network.1.proj.0.lkb_origin.conv.weight':
        'stages.1.downsample.proj.0.lkb_origin.conv.weight',
        'network.2.0.convffn.fc1.weight':
        'stages.1.blocks.0.convffn.fc1.weight',
        'network.5.proj.1.rbr_skip.running_var':
        'stages.3.downsample.proj.1.rbr_skip.running_var',
        'network.6.pe.weight': 'stages.3.pos_embed.pe.weight',
        'network.7.0.token_mixer.qkv.weight':
        'stages.3.blocks.0.token_mixer.qkv.weight',
        'norm3.weight': 'norm3.weight',
    }
    for before, after in pairs.items():
        assert out[after] is old[before], before
    # block layer scales become LayerScale weights of shape (C,)
    for before, after in (
        ('network.0.0.layer_scale', 'stages.0.blocks.0.layer_scale.weight'),
        ('network.7.0.layer_scale_1',
         'stages.3.blocks.0.layer_scale_1.weight'),
        ('network.7.0.layer_scale_2',
         'stages.3.blocks.0.layer_scale_2.weight'),
    ):
        assert old[before].shape == (32 if 'network.7' in before else 4, 1, 1)
        assert torch.equal(out[after], old[before].reshape(-1))
    assert not any(k.startswith(('network.', 'patch_embed.')) for k in out)
    fused = convert(legacy['deploy_state_dict'])
    assert 'stages.3.pos_embed.reparam_conv.weight' in fused
    assert checkpoint_form(fused) == 'fused'
    assert checkpoint_form(out) == 'unfused'


@pytest.mark.parametrize('form', ['unfused', 'fused'])
@pytest.mark.parametrize('arch', ['t8', 'sa12', 'ma36'])
def test_official_keys_match_the_model_exactly(arch, form):
    names = official_shapes(f'fastvit_{arch}_{form}')
    state = {n: torch.zeros(tuple(s)) for n, s in names.items()}
    converted = convert(state)
    with torch.device('meta'):
        model = FastViT(arch, deploy=form == 'fused')
    own = model.state_dict()
    assert set(converted) == {k for k in own if not k.startswith('norm')}
    for name, value in converted.items():
        assert value.shape == own[name].shape, name


def test_idempotent_on_new_and_old_layouts(legacy):
    for state in (legacy['state_dict'], legacy['deploy_state_dict']):
        once = convert(state)
        twice = convert(once)
        assert list(twice) == list(once)
        assert all(twice[k] is once[k] for k in once)
    own = FastViT(ARCH).state_dict()
    assert list(convert(own)) == list(own)
