"""FastViT backbone: structure, official keys, numerics, reparameterization."""
import argparse
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import load_checkpoint
from torch.nn.modules.batchnorm import _BatchNorm

from hvt_mm.checkpoint import fastvit as fastvit_ckpt
from hvt_mm.checkpoint.loading import (CheckpointMismatchError,
                                       load_state_dict_checked)
from hvt_mm.models.backbones.fastvit import FastViT
from hvt_mm.models.layers.reparam import ReparamInTrainingError
from hvt_mm.registry import MODELS
from tests.test_models.test_layers.test_reparam import (max_rel_diff,
                                                        randomize_)

ARCHS = ['t8', 't12', 's12', 'sa12', 'sa24', 'sa36', 'ma36']
KEYS = Path(__file__).parents[2] / 'data' / 'keys'
# Smallest custom arch that still has every module type.
TINY = dict(layers=[1, 1, 1, 2], embed_dims=[8, 16, 32, 64],
            mlp_ratios=[2, 2, 2, 2], token_mixers=['repmixer'] * 3 +
            ['attention'], repcpe=[False] * 3 + [True],
            layer_scale_init=1e-5)


def official_keys(arch: str, form: str) -> dict:
    """name -> shape from the recorded official key list."""
    out = {}
    for line in (KEYS / f'fastvit_{arch}_{form}.txt').read_text().split(
            '\n'):
        if line.strip():
            name, shape = re.match(r'(\S+) \((.*)\)', line).groups()
            out[name] = tuple(int(s) for s in shape.split(',') if s.strip())
    return out


def fake_state(arch: str, form: str, device='meta') -> dict:
    gen = torch.Generator().manual_seed(0)
    state = {}
    for name, shape in official_keys(arch, form).items():
        if device == 'meta':
            state[name] = torch.empty(shape, device='meta')
        elif name.endswith('num_batches_tracked'):
            state[name] = torch.tensor(7)
        elif name.endswith('running_var'):
            state[name] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[name] = torch.randn(shape, generator=gen) * 0.1
    return state


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
# paper/spec equations on an (unfused, official-names) state dict only.
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
    q, k, v = (t.reshape(b, h * w, c // head_dim, head_dim).transpose(1, 2)
               for t in qkv.split(c, dim=-1))
    attn = ((q * head_dim**-0.5) @ k.transpose(-2, -1)).softmax(-1)
    out = (attn @ v).transpose(1, 2).reshape(b, h * w, c)
    out = out @ sd[p + 'proj.weight'].t() + sd[p + 'proj.bias']
    return out.transpose(1, 2).reshape(b, c, h, w)


def reference_forward(sd, x):
    """Stage outputs of an official-layout FastViT (after every stage)."""
    for i, stride in enumerate((2, 2, 1)):
        x = _mobileone(x, sd, f'patch_embed.{i}.', stride, True)
    outs, n = [], 0
    while any(k.startswith(f'network.{n}.') for k in sd):
        p = f'network.{n}.'
        if p + 'proj.0.lkb_origin.conv.weight' in sd:
            x = (_conv_bn(x, sd, p + 'proj.0.lkb_origin.', 2) +
                 _conv_bn(x, sd, p + 'proj.0.small_conv.', 2))
            x = _mobileone(x, sd, p + 'proj.1.', 1, True)
        elif p + 'pe.weight' in sd:
            x = x + _conv(x, sd[p + 'pe.weight'], sd[p + 'pe.bias'])
        else:
            j = 0
            while f'{p}{j}.convffn.fc1.weight' in sd:
                q = f'{p}{j}.'
                if q + 'token_mixer.qkv.weight' in sd:
                    x = x + sd[q + 'layer_scale_1'] * _mhsa(
                        _bn(x, sd, q + 'norm.'), sd, q + 'token_mixer.')
                    x = x + sd[q + 'layer_scale_2'] * _convffn(
                        x, sd, q + 'convffn.')
                else:
                    m = q + 'token_mixer.'
                    x = x + sd[m + 'layer_scale'] * (
                        _mobileone(x, sd, m + 'mixer.', 1, False) -
                        _bn(x, sd, m + 'norm.rbr_skip.'))
                    x = x + sd[q + 'layer_scale'] * _convffn(
                        x, sd, q + 'convffn.')
                j += 1
            outs.append(x)
        n += 1
    return outs


# --------------------------------------------------------------------------
# Structure and official checkpoints (all variants, on the meta device)
# --------------------------------------------------------------------------
@pytest.mark.filterwarnings('ignore:.*meta parameter:UserWarning')
@pytest.mark.parametrize('arch', ARCHS)
@pytest.mark.parametrize('form', ['unfused', 'fused'])
def test_official_checkpoint_keys_and_shapes(arch, form):
    model = meta_model(arch, deploy=form == 'fused')
    converted = fastvit_ckpt.convert(fake_state(arch, form))
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    ours = {k: v for k, v in own.items() if not re.match(r'norm\d\.', k)}
    assert set(converted) == set(ours)  # zero missing, zero unexpected
    assert {k: tuple(v.shape) for k, v in converted.items()} == ours
    assert all(not k.startswith(('head.', 'conv_exp.')) for k in converted)
    assert fastvit_ckpt.checkpoint_form(converted) == form
    load_state_dict_checked(model, converted)  # no error


@pytest.mark.parametrize('arch', ARCHS)
def test_wrong_checkpoint_form_raises(arch):
    unfused = fastvit_ckpt.convert(fake_state(arch, 'unfused'))
    fused = fastvit_ckpt.convert(fake_state(arch, 'fused'))
    with pytest.raises(CheckpointMismatchError, match='deploy=True'):
        load_state_dict_checked(meta_model(arch), fused)
    with pytest.raises(CheckpointMismatchError, match='switch_to_deploy'):
        load_state_dict_checked(meta_model(arch, deploy=True), unfused)


def test_convert_is_idempotent_and_tensor_only():
    state = fake_state('t8', 'unfused', device='cpu')
    state['module.extra'] = torch.zeros(1)
    state['epoch'] = 3
    once = fastvit_ckpt.convert(state)
    twice = fastvit_ckpt.convert(once)
    assert list(once) == list(twice) and 'extra' in once and 'epoch' not in once
    assert not any(k.startswith(('head.', 'conv_exp.')) for k in once)
    assert fastvit_ckpt.checkpoint_form(['network.0.0.layer_scale']) is None


@pytest.mark.parametrize('arch', ARCHS)
@pytest.mark.parametrize('deploy', [False, True])
def test_output_shapes_all_variants(arch, deploy):
    model = meta_model(arch, deploy=deploy)
    dims = FastViT.arch_zoo[arch]['embed_dims']
    assert model.out_channels == tuple(dims)
    outs = model(torch.empty(2, 3, 65, 97, device='meta'))
    assert [tuple(o.shape) for o in outs] == [
        (2, c, h, w) for c, (h, w) in zip(dims, out_sizes(65, 97))
    ]


def test_network_layout_matches_official_indices():
    sa = meta_model('sa12')
    assert [type(m).__name__ for m in sa.network] == [
        'Sequential', 'FastViTDownsample', 'Sequential', 'FastViTDownsample',
        'Sequential', 'FastViTDownsample', 'RepCPE', 'Sequential'
    ]
    assert type(sa.network[7][0]).__name__ == 'FastViTAttentionBlock'
    assert len(meta_model('t8').network) == 7


@pytest.mark.parametrize('out_indices,expected', [((1, 3), (1, 3)), (-1, (3, )),
                                                  ([2, 0], (0, 2))])
def test_out_indices(out_indices, expected):
    model = FastViT(TINY, out_indices=out_indices)
    assert model.out_indices == expected
    assert model.out_channels == tuple(TINY['embed_dims'][i] for i in expected)
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == list(model.out_channels)
    assert [f'norm{i}' in dict(model.named_children()) for i in range(4)] == \
        [i in expected for i in range(4)]


# --------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------
def test_numerics_sa12_256_match_independent_rederivation():
    torch.manual_seed(0)
    model = randomize_(FastViT('sa12', out_norm_cfg=None,
                               drop_path_rate=0.0)).eval()
    x = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        outs = model(x)
        ref = reference_forward(model.state_dict(), x)
        # What the official dense code returns as its last map (RepCPE).
        official_last = model.network[6](model.network[5](outs[2]))
    assert len(ref) == 4  # the attention stage is the last output
    for out, expected, size in zip(outs, ref, out_sizes(256, 256)):
        assert out.shape[-2:] == size
        assert max_rel_diff(expected, out) <= 1e-5
        torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
    assert max_rel_diff(outs[3], official_last) > 1e-2


def test_numerics_t8_odd_size_match_rederivation():
    torch.manual_seed(1)
    model = randomize_(FastViT('t8', out_norm_cfg=None), seed=1).eval()
    x = torch.randn(2, 3, 65, 97)
    with torch.no_grad():
        for out, expected in zip(model(x),
                                 reference_forward(model.state_dict(), x)):
            torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------
# Reparameterization of the whole backbone
# --------------------------------------------------------------------------
@pytest.mark.parametrize('arch', ['t8', 'sa12', 'tiny'])
def test_switch_to_deploy_equivalence(arch):
    arch = TINY if arch == 'tiny' else arch
    torch.manual_seed(0)
    model = randomize_(FastViT(arch)).eval()
    x = torch.randn(1, 3, 65, 97)
    with torch.no_grad():
        before = model(x)
    model.switch_to_deploy()
    assert model.deploy
    state = model.state_dict()
    assert fastvit_ckpt.checkpoint_form(state) == 'fused'
    model.switch_to_deploy()  # second call: no-op
    assert model.state_dict().keys() == state.keys()
    assert all(model.state_dict()[k] is state[k] or
               torch.equal(model.state_dict()[k], state[k]) for k in state)
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
    model = randomize_(FastViT('sa12', out_norm_cfg=None), seed=2).eval()
    ref_state = {k: v.clone() for k, v in model.state_dict().items()}
    params = sum(p.numel() for p in model.parameters())
    model.switch_to_deploy()
    x = torch.randn(1, 3, 96, 64)
    with torch.no_grad():
        for out, ref in zip(model(x), reference_forward(ref_state, x)):
            assert max_rel_diff(ref, out) <= 1e-4
    assert sum(p.numel() for p in model.parameters()) < params


def test_switch_to_deploy_in_training_mode_raises():
    model = FastViT(TINY).train()
    with pytest.raises(ReparamInTrainingError, match='model.eval()'):
        model.switch_to_deploy()
    assert not model.deploy
    assert fastvit_ckpt.checkpoint_form(model.state_dict()) == 'unfused'


def _save_official(path, state):
    torch.save({'state_dict': state, 'epoch': 300,
                'args': argparse.Namespace(model='fastvit')}, path)


@pytest.mark.parametrize('form', ['unfused', 'fused'])
def test_pretrained_official_file_loads(tmp_path, form):
    state = fake_state('t8', form, device='cpu')
    path = tmp_path / f'fastvit_t8_{form}.pth.tar'
    _save_official(path, state)
    model = FastViT('t8', deploy=form == 'fused',
                    init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    own = model.state_dict()
    for name, value in state.items():
        if not name.startswith(('head.', 'conv_exp.')):
            torch.testing.assert_close(own[name], value, rtol=0, atol=0)
    # The other form: a clear error naming the fix, nothing loaded.
    other = FastViT('t8', deploy=form != 'fused',
                    init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointMismatchError,
                       match='deploy=True' if form == 'fused' else
                       'deploy=False'):
        other.init_weights()


def test_detector_checkpoint_wrong_form_raises_via_mmengine(tmp_path):
    # mmengine's load_from path (non-strict) must not load garbage silently.
    fused = FastViT(TINY).eval()
    fused.switch_to_deploy()
    path = tmp_path / 'det.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in fused.state_dict().items()}},
               path)
    detector = torch.nn.Module()
    detector.backbone = FastViT(TINY)
    with pytest.raises(CheckpointMismatchError, match='deploy=True'):
        load_checkpoint(detector, str(path), strict=False)
    detector.backbone = FastViT(TINY, deploy=True)
    load_checkpoint(detector, str(path), strict=True)


# --------------------------------------------------------------------------
# Training options
# --------------------------------------------------------------------------
def test_frozen_stages_and_norm_eval():
    model = FastViT(TINY, frozen_stages=1, norm_eval=True)
    model.train()
    frozen = [model.patch_embed, model.network[0], model.norm0]
    for module in frozen:
        assert all(not p.requires_grad for p in module.parameters())
        assert not module.training
    for module in (model.network[1], model.network[2], model.norm1):
        assert all(p.requires_grad for p in module.parameters())
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))
    assert model.network[2][0].convffn.training  # non-BN layers train
    # Fusing installs new convs; frozen stages stay frozen.
    model.eval().switch_to_deploy()
    assert all(not p.requires_grad for p in model.patch_embed.parameters())
    assert all(p.requires_grad for p in model.network[1].parameters())


def test_with_cp_same_gradients(monkeypatch):
    import hvt_mm.models.backbones.base as base
    calls = []
    real = base.cp.checkpoint

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(base.cp, 'checkpoint', counting)
    x = torch.randn(2, 3, 64, 64)
    grads = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        model = FastViT(TINY, with_cp=with_cp, drop_path_rate=0.0).train()
        sum(o.sum() for o in model(x)).backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    assert len(calls) == sum(TINY['layers'])
    for g0, g1 in zip(*grads):
        torch.testing.assert_close(g0, g1, rtol=1e-5, atol=1e-6)


def test_drop_path_rates_rise_linearly():
    model = meta_model('sa12', drop_path_rate=0.3)
    blocks = [b for i in (0, 2, 4, 7) for b in model.network[i]]
    rates = [getattr(b.drop_path, 'drop_prob', 0.0) for b in blocks]
    expected = [0.3 * n / (len(blocks) - 1) for n in range(len(blocks))]
    assert rates == pytest.approx(expected)


def test_get_layer_depth():
    model = meta_model('sa12')  # 12 blocks -> 14 layers
    assert model.get_layer_depth('patch_embed.0.rbr_conv.0.conv.weight') == \
        (0, 14)
    assert model.get_layer_depth('network.0.0.layer_scale') == (1, 14)
    assert model.get_layer_depth('network.1.proj.0.lkb_origin.conv.weight') \
        == (3, 14)
    assert model.get_layer_depth('network.4.5.layer_scale') == (10, 14)
    assert model.get_layer_depth('network.6.pe.weight') == (11, 14)
    assert model.get_layer_depth('network.7.1.norm.weight') == (12, 14)
    assert model.get_layer_depth('norm3.weight') == (13, 14)
    assert model.get_layer_depth('backbone.network.2.1.layer_scale',
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
        FastViT({k: v for k, v in TINY.items() if k != 'repcpe'})
    with pytest.raises(ValueError, match='one per stage'):
        FastViT(dict(TINY, mlp_ratios=[2, 2]))
    with pytest.raises(ValueError, match='multiple of the head width'):
        FastViT(dict(TINY, embed_dims=[4, 8, 16, 48]))
    with pytest.raises(ValueError, match='multiple of the previous'):
        FastViT(dict(TINY, embed_dims=[8, 16, 32, 48]))
    with pytest.raises(ValueError, match='token_mixers'):
        FastViT(dict(TINY, token_mixers=['pool'] * 4))
    model = FastViT(TINY)
    with pytest.raises(ValueError, match='in_channels'):
        model(torch.randn(1, 4, 64, 64))
    with pytest.raises(ValueError, match='too small'):
        model(torch.randn(1, 3, 16, 64))
    with pytest.raises(ValueError, match='out of range'):
        FastViT(TINY, out_indices=(4, ))


def test_registered_and_builds_from_config():
    model = MODELS.build(dict(type='FastViT', arch=TINY, in_channels=1,
                              deploy=True))
    assert isinstance(model, FastViT) and model.deploy
    assert model(torch.randn(1, 1, 32, 40))[0].shape == (1, 8, 8, 10)
