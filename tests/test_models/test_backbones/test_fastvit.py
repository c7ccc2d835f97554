"""FastViT: structure, numerics, reparameterization, checkpoint forms."""
import argparse
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import load_checkpoint

from hvt_mm.checkpoint import CheckpointMismatchError
from hvt_mm.checkpoint import fastvit as fastvit_ckpt
from hvt_mm.models.backbones.fastvit import FastViT
from tests.backbone_families import FASTVIT
from tests.conftest import randomise
from tests.official_keys import official_shapes, random_state
from tests.test_models.test_layers.test_reparam import max_rel_diff

TINY = FASTVIT.cases[0].arch


def fake_state(arch: str, form: str) -> dict:
    """Random weights in the official layout of ``fastvit_<arch>``."""
    return random_state(official_shapes(f'fastvit_{arch}_{form}'))


def meta_model(arch, **kwargs) -> FastViT:
    with torch.device('meta'):
        return FastViT(arch, **kwargs)


def out_sizes(h: int, w: int, num: int = 4):
    sizes = []
    for _ in range(2):  # stem: two stride-2 convs
        h, w = math.ceil(h / 2), math.ceil(w / 2)
    for _ in range(num):
        sizes.append((h, w))
        h, w = math.ceil(h / 2), math.ceil(w / 2)
    return sizes


# --------------------------------------------------------------------------
# Independent re-derivation of the official forward pass, written from the
# paper/spec equations on an (unfused) state dict only.
# --------------------------------------------------------------------------
def _bn(x, sd, p):
    return F.batch_norm(x, sd[p + 'running_mean'], sd[p + 'running_var'],
                        sd[p + 'weight'], sd[p + 'bias'], False, 0.0, 1e-5)


def _conv(x, weight, bias=None, stride=1):
    groups = x.shape[1] // weight.shape[1]
    return F.conv2d(x, weight, bias, stride, weight.shape[-1] // 2, 1, groups)


def _conv_bn(x, sd, p, stride=1):
    return _bn(_conv(x, sd[p + 'conv.weight'], stride=stride), sd, p + 'bn.')


def _mobileone(x, sd, p, stride, act):
    out = _bn(x, sd, p + 'rbr_skip.') if p + 'rbr_skip.weight' in sd else 0
    if p + 'rbr_scale.conv.weight' in sd:
        out = out + _conv_bn(x, sd, p + 'rbr_scale.', stride)
    i = 0
    while f'{p}rbr_conv.{i}.conv.weight' in sd:
        out = out + _conv_bn(x, sd, f'{p}rbr_conv.{i}.', stride)
        i += 1
    return F.gelu(out) if act else out


def _convffn(x, sd, p):
    x = _conv_bn(x, sd, p + 'conv.')
    x = F.gelu(_conv(x, sd[p + 'fc1.weight'], sd[p + 'fc1.bias']))
    return _conv(x, sd[p + 'fc2.weight'], sd[p + 'fc2.bias'])


def _mhsa(x, sd, p, head_dim=32):
    b, c, h, w = x.shape
    qkv = x.flatten(2).transpose(1, 2) @ sd[p + 'qkv.weight'].t()
    q, k, v = (
        t.reshape(b, h * w, c // head_dim, head_dim).transpose(1, 2)
        for t in qkv.split(c, dim=-1))
    attn = ((q * head_dim**-0.5) @ k.transpose(-2, -1)).softmax(-1)
    out = (attn @ v).transpose(1, 2).reshape(b, h * w, c)
    out = out @ sd[p + 'proj.weight'].t() + sd[p + 'proj.bias']
    return out.transpose(1, 2).reshape(b, c, h, w)


def _scale(sd, name):
    """A block's LayerScale weight ``(C,)`` as ``(C, 1, 1)``."""
    return sd[name + '.weight'].view(-1, 1, 1)


def reference_forward(sd, x):
    """Stage outputs of an unfused FastViT state dict (after every stage),
    in hvt_mm's names (``stem``, ``stages.i.{downsample,pos_embed,blocks}``).
    """
    for i, stride in enumerate((2, 2, 1)):
        x = _mobileone(x, sd, f'stem.{i}.', stride, True)
    outs, n = [], 0
    while any(k.startswith(f'stages.{n}.') for k in sd):
        p = f'stages.{n}.downsample.'
        if p + 'proj.0.lkb_origin.conv.weight' in sd:
            x = (
                _conv_bn(x, sd, p + 'proj.0.lkb_origin.', 2) +
                _conv_bn(x, sd, p + 'proj.0.small_conv.', 2))
            x = _mobileone(x, sd, p + 'proj.1.', 1, True)
        p = f'stages.{n}.pos_embed.'
        if p + 'pe.weight' in sd:
            x = x + _conv(x, sd[p + 'pe.weight'], sd[p + 'pe.bias'])
        j = 0
        while f'stages.{n}.blocks.{j}.convffn.fc1.weight' in sd:
            q = f'stages.{n}.blocks.{j}.'
            if q + 'token_mixer.qkv.weight' in sd:
                x = x + _scale(sd, q + 'layer_scale_1') * _mhsa(
                    _bn(x, sd, q + 'norm.'), sd, q + 'token_mixer.')
                x = x + _scale(sd, q + 'layer_scale_2') * _convffn(
                    x, sd, q + 'convffn.')
            else:
                m = q + 'token_mixer.'
                x = x + sd[m + 'layer_scale'] * (
                    _mobileone(x, sd, m + 'mixer.', 1, False) -
                    _bn(x, sd, m + 'norm.rbr_skip.'))
                x = x + _scale(sd, q + 'layer_scale') * _convffn(
                    x, sd, q + 'convffn.')
            j += 1
        outs.append(x)
        n += 1
    return outs


# --------------------------------------------------------------------------
# Structure and official checkpoints (all variants, on the meta device)
# --------------------------------------------------------------------------
def test_fused_checkpoint_into_training_form_raises():
    fused = fastvit_ckpt.convert(fake_state('t8', 'fused'))
    with pytest.raises(CheckpointMismatchError, match='deploy=True'):
        FastViT('t8').load_state_dict(fused)


def test_training_form_checkpoint_is_fused_on_load_into_deploy_model():
    unfused = fastvit_ckpt.convert(fake_state('t8', 'unfused'))
    reference = FastViT('t8')
    reference.load_state_dict(unfused, strict=False)  # no output norms
    reference.eval().switch_to_deploy()
    model = FastViT('t8', deploy=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(unfused, strict=False)
    for name, value in model.state_dict().items():
        if name.startswith('norm'):  # not in the checkpoint: untouched
            assert torch.equal(value, before[name]), name
        else:
            torch.testing.assert_close(
                value, reference.state_dict()[name], rtol=0, atol=0, msg=name)
    partial = dict(unfused)
    partial.pop('stages.0.blocks.0.convffn.fc1.weight')
    missing = r'Missing \(1\): stages\.0\.blocks\.0\.convffn\.fc1\.weight'
    with pytest.raises(CheckpointMismatchError, match=missing):
        FastViT('t8', deploy=True).load_state_dict(partial, strict=False)


def test_convert_is_idempotent_and_tensor_only():
    state = fake_state('t8', 'unfused')
    state['module.extra'] = torch.zeros(1)
    state['epoch'] = 3
    once = fastvit_ckpt.convert(state)
    twice = fastvit_ckpt.convert(once)
    assert list(once) == list(
        twice) and 'extra' in once and 'epoch' not in once
    assert not any(k.startswith(('head.', 'conv_exp.')) for k in once)
    assert fastvit_ckpt.checkpoint_form(
        ['stages.0.blocks.0.layer_scale.weight']) is None


def test_stage_layout():
    sa = meta_model('sa12')
    assert len(sa.stages) == 4
    assert [type(s.downsample).__name__ for s in sa.stages] == \
        ['Identity'] + ['FastViTDownsample'] * 3
    assert [type(s.pos_embed).__name__ for s in sa.stages] == \
        ['Identity'] * 3 + ['RepCPE']
    assert [len(s.blocks) for s in sa.stages] == [2, 2, 6, 2]
    assert {type(b).__name__ for b in sa.stages[3].blocks} == \
        {'FastViTAttentionBlock'}
    assert {type(b).__name__ for s in sa.stages[:3] for b in s.blocks} == \
        {'FastViTRepMixerBlock'}
    assert all(
        type(s.pos_embed).__name__ == 'Identity'
        for s in meta_model('t8').stages)


# --------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------
def test_numerics_sa12_256_match_independent_rederivation():
    torch.manual_seed(0)
    model = randomise(FastViT('sa12', out_norm_cfg=None,
                              drop_path_rate=0.0)).eval()
    x = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        outs = model(x)
        ref = reference_forward(model.state_dict(), x)
        # What the official dense code returns as its last map (RepCPE).
        official_last = model.stages[3].pos_embed(model.stages[3].downsample(
            outs[2]))
    assert len(ref) == 4  # the attention stage is the last output
    # float32 rounding over 12 blocks whose layer scales are O(0.1) here
    # stays near 1e-5; a wrong weight or layout shows as 1e-2 or more.
    for out, expected, size in zip(outs, ref, out_sizes(256, 256)):
        assert out.shape[-2:] == size
        assert max_rel_diff(expected, out) <= 5e-5
    assert max_rel_diff(outs[3], official_last) > 1e-2


def test_numerics_t8_odd_size_match_rederivation():
    torch.manual_seed(1)
    model = randomise(FastViT('t8', out_norm_cfg=None), seed=1).eval()
    x = torch.randn(2, 3, 65, 97)
    with torch.no_grad():
        for out, expected in zip(
                model(x), reference_forward(model.state_dict(), x)):
            torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------
# Reparameterization of the whole backbone
# --------------------------------------------------------------------------
@pytest.mark.parametrize('arch', ['t8', 'sa12', 'tiny'])
def test_switch_to_deploy_equivalence(arch):
    arch = TINY if arch == 'tiny' else arch
    torch.manual_seed(0)
    model = randomise(FastViT(arch)).eval()
    x = torch.randn(1, 3, 65, 97)
    with torch.no_grad():
        before = model(x)
    model.switch_to_deploy()
    assert model.deploy
    state = model.state_dict()
    assert fastvit_ckpt.checkpoint_form(state) == 'fused'
    model.switch_to_deploy()  # second call: no-op
    assert model.state_dict().keys() == state.keys()
    assert all(model.state_dict()[k] is state[k]
               or torch.equal(model.state_dict()[k], state[k]) for k in state)
    with torch.no_grad():
        after = model(x)
    for ref, new in zip(before, after):
        assert max_rel_diff(ref, new) <= 1e-4
    deployed = FastViT(arch, deploy=True).eval()
    deployed.load_state_dict(state, strict=True)
    with torch.no_grad():
        for ref, new in zip(after, deployed(x)):
            torch.testing.assert_close(new, ref, rtol=0, atol=0)


def test_fused_matches_rederivation_and_is_smaller():
    torch.manual_seed(2)
    model = randomise(FastViT('sa12', out_norm_cfg=None), seed=2).eval()
    ref_state = {k: v.clone() for k, v in model.state_dict().items()}
    params = sum(p.numel() for p in model.parameters())
    model.switch_to_deploy()
    x = torch.randn(1, 3, 96, 64)
    with torch.no_grad():
        for out, ref in zip(model(x), reference_forward(ref_state, x)):
            assert max_rel_diff(ref, out) <= 1e-4
    assert sum(p.numel() for p in model.parameters()) < params


def test_switch_to_deploy_in_training_mode_uses_running_statistics():
    torch.manual_seed(3)
    model = randomise(FastViT(TINY), seed=3).train()
    assert fastvit_ckpt.checkpoint_form(model.state_dict()) == 'unfused'
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = model.eval()(x)
    model.train().switch_to_deploy()  # as mmdeploy calls it
    assert model.deploy and not model.training
    assert fastvit_ckpt.checkpoint_form(model.state_dict()) == 'fused'
    with torch.no_grad():
        for ref, out in zip(expected, model(x)):
            assert max_rel_diff(ref, out) <= 1e-4


def _save_official(path, state):
    torch.save(
        {
            'state_dict': state,
            'epoch': 300,
            'args': argparse.Namespace(model='fastvit')
        }, path)


def test_pretrained_official_fused_file_loads(tmp_path):
    state = fake_state('t8', 'fused')
    path = tmp_path / 'fastvit_t8_reparam.pth.tar'
    torch.save(
        {
            'state_dict': state,
            'epoch': 300,
            'args': argparse.Namespace(model='fastvit')
        }, path)
    model = FastViT(
        't8',
        deploy=True,
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    own = model.state_dict()
    converted = fastvit_ckpt.convert(state)
    assert len(converted) == len(state) - sum(
        k.startswith(('head.', 'conv_exp.')) for k in state)
    for name, value in converted.items():
        torch.testing.assert_close(own[name], value, rtol=0, atol=0)
    training_form = FastViT(
        't8', init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointMismatchError, match='deploy=True'):
        training_form.init_weights()


def test_detector_checkpoint_forms_via_mmengine_load_from(tmp_path):
    """mmengine's load_from path (non-strict): a training-form detector
    checkpoint fuses into a deploy=True backbone, a fused one refuses to
    load into a training-form backbone."""
    torch.manual_seed(0)
    trained = randomise(FastViT(TINY)).eval()
    fused = randomise(FastViT(TINY)).eval()
    fused.load_state_dict(trained.state_dict())
    fused.switch_to_deploy()
    paths = {}
    for name, model in (('unfused', trained), ('fused', fused)):
        paths[name] = str(tmp_path / f'{name}.pth')
        torch.save(
            {
                'state_dict': {
                    f'backbone.{k}': v
                    for k, v in model.state_dict().items()
                }
            }, paths[name])
    detector = torch.nn.Module()
    detector.backbone = FastViT(TINY)
    with pytest.raises(CheckpointMismatchError, match='deploy=True'):
        load_checkpoint(detector, paths['fused'], strict=False)
    for form in ('fused', 'unfused'):
        detector.backbone = FastViT(TINY, deploy=True)
        load_checkpoint(detector, paths[form], strict=True)
        for name, value in fused.state_dict().items():
            torch.testing.assert_close(
                detector.backbone.state_dict()[name],
                value,
                rtol=1e-6,
                atol=1e-7)


# --------------------------------------------------------------------------
# Training options
# --------------------------------------------------------------------------
def test_frozen_stages_stay_frozen_after_fusing():
    model = FastViT(TINY, frozen_stages=1).eval()
    model.switch_to_deploy()  # installs new convs
    assert all(not p.requires_grad for p in model.stem.parameters())
    assert all(not p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad for p in model.stages[1].parameters())


def test_get_layer_depth():
    model = meta_model('sa12')  # 12 blocks -> 14 layers
    depth = model.get_layer_depth
    assert depth('stem.0.rbr_conv.0.conv.weight') == (0, 14)
    assert depth('stages.0.blocks.0.layer_scale.weight') == (1, 14)
    assert depth('stages.1.downsample.proj.0.lkb_origin.conv.weight') == \
        (3, 14)  # joins the first block of its stage
    assert depth('stages.2.blocks.5.layer_scale.weight') == (10, 14)
    assert depth('stages.3.pos_embed.pe.weight') == (11, 14)
    assert depth('stages.3.blocks.0.layer_scale_1.weight') == (11, 14)
    assert depth('stages.3.blocks.1.norm.weight') == (12, 14)
    assert depth('norm3.weight') == (13, 14)
    assert depth('backbone.stages.1.blocks.1.layer_scale.weight',
                 'backbone.') == (4, 14)
    assert model.get_layer_depth('neck.conv.weight', 'backbone.') == (13, 14)
    ids = [model.get_layer_depth(n)[0] for n, _ in model.named_parameters()]
    assert ids == sorted(ids) and ids[0] == 0 and ids[-1] == 13


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------
def test_bad_arch_and_input_raise():
    with pytest.raises(ValueError, match="Unknown FastViT arch 'sa13'"):
        FastViT('sa13')
    with pytest.raises(ValueError, match='missing'):
        FastViT({k: v for k, v in TINY.items() if k != 'pos_embeds'})
    with pytest.raises(ValueError, match='one per stage'):
        FastViT(dict(TINY, mlp_ratios=[2, 2]))
    with pytest.raises(ValueError, match='multiple of the head width'):
        FastViT(dict(TINY, embed_dims=[4, 8, 16, 48]))
    with pytest.raises(ValueError, match='multiple of the previous'):
        FastViT(dict(TINY, embed_dims=[8, 16, 32, 48]))
    with pytest.raises(ValueError, match='block_types'):
        FastViT(dict(TINY, block_types=['pool'] * 4))
