"""LightViT backbone: official layout, numerics, padding masks, API."""
import math
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from hvt_mm.checkpoint.lightvit import convert
from hvt_mm.models.backbones.lightvit import (LightViT, LightViTAttention,
                                              LightViTBlock)
from hvt_mm.models.layers import window_valid_mask

KEYS_DIR = osp.join(osp.dirname(__file__), '..', '..', 'data', 'keys')
ARCH_FILES = {'t': 'lightvit_tiny', 's': 'lightvit_small',
              'b': 'lightvit_base'}
DIMS = {'t': (64, 128, 256), 's': (96, 192, 384), 'b': (128, 256, 512)}


def official_shapes(arch: str) -> Dict[str, Tuple[int, ...]]:
    """Entries of the official classification checkpoint (name -> shape)."""
    shapes = OrderedDict()
    with open(osp.join(KEYS_DIR, ARCH_FILES[arch] + '.txt')) as f:
        for line in f:
            name, shape = re.fullmatch(r'(\S+) \(([\d, ]*)\)\s*',
                                       line).groups()
            shapes[name] = tuple(int(s) for s in shape.split(',') if s)
    return shapes


def official_state(arch: str, seed: int = 0) -> Dict[str, torch.Tensor]:
    """A random but well-conditioned official-layout state dict."""
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for name, shape in official_shapes(arch).items():
        if name.endswith(('num_batches_tracked', 'relative_position_index')):
            state[name] = torch.zeros(shape, dtype=torch.long)
        elif name.endswith('running_var'):
            state[name] = torch.rand(shape, generator=gen) + 0.5
        elif len(shape) == 1 and name.endswith('weight'):  # norms
            state[name] = 1 + 0.2 * torch.randn(shape, generator=gen)
        elif len(shape) == 1:
            state[name] = 0.2 * torch.randn(shape, generator=gen)
        else:
            fan_in = math.prod(shape[1:]) if len(shape) > 2 else shape[-1]
            scale = 1.0 if 'global_token' in name or 'table' in name else \
                fan_in**-0.5
            state[name] = scale * torch.randn(shape, generator=gen)
    return state


# ------------------------------------------------------------------------
# Straightforward re-derivation of LightViT from the paper / spec, reading
# official parameter names; loops over windows and tokens on purpose.
# ------------------------------------------------------------------------
def ref_linear(sd, p, x):
    return F.linear(x, sd[p + '.weight'], sd.get(p + '.bias'))


def ref_ln(sd, p, x, eps):
    return F.layer_norm(x, x.shape[-1:], sd[p + '.weight'], sd[p + '.bias'],
                        eps)


def ref_stem(sd, x):
    for i, stride in zip((0, 3, 6, 9), (2, 1, 1, 2)):
        w = sd[f'patch_embed.stem.{i}.weight']
        x = F.conv2d(x, w, stride=stride, padding=1,
                     groups=1 if i == 0 else w.shape[0])
        bn = f'patch_embed.stem.{i + 1}.'
        mean = sd[bn + 'running_mean'][:, None, None]
        var = sd[bn + 'running_var'][:, None, None]
        x = (x - mean) / torch.sqrt(var + 1e-5)
        x = F.gelu(x * sd[bn + 'weight'][:, None, None] +
                   sd[bn + 'bias'][:, None, None])
    x = F.conv2d(x, sd['patch_embed.proj.weight'], sd['patch_embed.proj.bias'],
                 stride=2, padding=1)
    H, W = x.shape[-2:]
    tokens = x.flatten(2).transpose(1, 2)
    return ref_ln(sd, 'patch_embed.norm', tokens, 1e-5), H, W


def softmax_attend(q, k, v, bias=0.):
    logits = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + bias
    return torch.softmax(logits, dim=-1) @ v


def ref_attention(sd, p, x, H, W, heads, ws=7, masked=True):
    """``masked``: edge windows only hold real tokens (padding does not
    exist); otherwise (the original detector) zero tokens pad the grid to
    window multiples and take part in local attention."""
    B, L, C = x.shape
    d, N = C // heads, H * W
    nt = L - N
    Hp, Wp = -(-H // ws) * ws, -(-W // ws) * ws
    grid = torch.zeros(B, Hp, Wp, C, dtype=x.dtype)
    grid[:, :H, :W] = x[:, nt:].reshape(B, H, W, C)
    qkv = ref_linear(sd, p + '.qkv', grid).view(B, Hp, Wp, 3, heads, d)
    q, k, v = qkv.permute(3, 0, 4, 1, 2, 5)  # each (B, heads, Hp, Wp, d)
    table = sd[p + '.relative_position_bias_table']
    local = torch.zeros(B, heads, H, W, d, dtype=x.dtype)
    for wy in range(0, H, ws):
        for wx in range(0, W, ws):
            ys = range(wy, min(wy + ws, H) if masked else wy + ws)
            xs = range(wx, min(wx + ws, W) if masked else wx + ws)
            pos = [(y, xx) for y in ys for xx in xs]
            yi, xi = [y for y, _ in pos], [xx for _, xx in pos]
            rel = torch.tensor([[(ya - yb + ws - 1) * (2 * ws - 1) +
                                 (xa - xb + ws - 1) for yb, xb in pos]
                                for ya, xa in pos])
            bias = table[rel].permute(2, 0, 1)
            out = softmax_attend(q[:, :, yi, xi], k[:, :, yi, xi],
                                 v[:, :, yi, xi], bias)
            for n, (y, xx) in enumerate(pos):
                if y < H and xx < W:
                    local[:, :, y, xx] = out[:, :, n]
    q_img, k_img, v_img = (t[:, :, :H, :W].flatten(2, 3) for t in (q, k, v))
    q_glb = ref_linear(sd, p + '.qkv', x[:, :nt])[..., :C]
    q_glb = q_glb.view(B, nt, heads, d).transpose(1, 2)
    glb = softmax_attend(q_glb, k_img, v_img)
    glb = glb.transpose(1, 2).reshape(B, nt, C)
    kg, vg = ref_linear(sd, p + '.kv_global', glb).view(
        B, nt, 2, heads, d).permute(2, 0, 3, 1, 4)
    img = local.flatten(2, 3) + softmax_attend(q_img, kg, vg)
    img = img.transpose(1, 2).reshape(B, N, C)
    return ref_linear(sd, p + '.proj', torch.cat([glb, img], dim=1))


def ref_mlp(sd, p, x):
    y = ref_linear(sd, p + '.fc2', F.gelu(ref_linear(sd, p + '.fc1', x)))
    z = ref_ln(sd, p + '.attn.norm', y, 1e-5)
    g = F.gelu(ref_linear(sd, p + '.attn.global_reduce', z.mean(1, True)))
    loc = F.gelu(ref_linear(sd, p + '.attn.local_reduce', z))
    c = torch.sigmoid(ref_linear(sd, p + '.attn.channel_select', g))
    s = torch.sigmoid(
        ref_linear(sd, p + '.attn.spatial_select',
                   torch.cat([loc, g.expand(-1, loc.shape[1], -1)], -1)))
    return y * c * s


def ref_block(sd, p, x, H, W, heads, drop_global, masked=True):
    x = x + ref_attention(sd, p + '.attn', ref_ln(sd, p + '.norm1', x, 1e-6),
                          H, W, heads, masked=masked)
    if drop_global:
        x = x[:, -H * W:]
    return x + ref_mlp(sd, p + '.mlp', ref_ln(sd, p + '.norm2', x, 1e-6))


def ref_merge(sd, p, x, H, W):
    B, L, C = x.shape
    glb = x[:, :L - H * W]
    img = x[:, L - H * W:].reshape(B, H, W, C)
    img = F.pad(img, (0, 0, 0, W % 2, 0, H % 2))
    res = F.max_pool2d(img.permute(0, 3, 1, 2), 2).flatten(2).transpose(1, 2)
    cat = torch.cat([img[:, 0::2, 0::2], img[:, 1::2, 0::2],
                     img[:, 0::2, 1::2], img[:, 1::2, 1::2]], -1)
    out = ref_linear(sd, p + '.reduction',
                     ref_ln(sd, p + '.norm', cat.flatten(1, 2), 1e-5))
    out = out + ref_linear(sd, p + '.res_proj', res)
    glb = ref_linear(sd, p + '.proj', ref_ln(sd, p + '.norm2', glb, 1e-5))
    return torch.cat([glb, out], 1), (H + 1) // 2, (W + 1) // 2


def ref_lightvit(sd, img, depths, heads, drop_global_last,
                 masked=True) -> List:
    """Stage outputs (B, C, H, W) of the official model (image tokens)."""
    x, H, W = ref_stem(sd, img)
    x = torch.cat([sd['global_token'].expand(len(img), -1, -1), x], 1)
    outs = []
    for s, depth in enumerate(depths):
        if s:
            x, H, W = ref_merge(sd, f'stages.{s}.0', x, H, W)
        for j in range(depth):
            last = drop_global_last and s == len(depths) - 1 and \
                j == depth - 1
            x = ref_block(sd, f'stages.{s}.{j + (s > 0)}', x, H, W, heads[s],
                          last, masked)
        outs.append(x[:, -H * W:].transpose(1, 2).reshape(len(img), -1, H, W))
    return outs


def loaded_tiny(**kwargs) -> Tuple[LightViT, dict]:
    sd = official_state('t')
    model = LightViT('t', out_indices=(1, 2, 3), out_norm_cfg=None, **kwargs)
    model.load_state_dict(convert(sd), strict=True)
    return model.eval(), sd


# ------------------------------------------------------------------ layout
@pytest.mark.parametrize('arch', ['t', 's', 'b'])
def test_state_dict_matches_official_layout(arch):
    with torch.device('meta'):
        model = LightViT(arch, out_indices=(1, 2, 3), out_norm_cfg=None)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    official = official_shapes(arch)
    expected = {k: v for k, v in official.items()
                if not re.match(r'(norm|neck|head)\.', k)
                and not k.endswith('relative_position_index')}
    assert ours == expected
    assert len(official) == {'t': 415, 's': 415, 'b': 493}[arch]
    assert model.global_token.shape[1] == {'t': 8, 's': 16, 'b': 24}[arch]
    assert model.out_channels == DIMS[arch]


@pytest.mark.parametrize('arch,container', [('t', 'state_dict'),
                                             ('s', 'state_dict'),
                                             ('b', 'state_dict'),
                                             ('t', 'model')])
def test_official_checkpoint_loads_via_init_cfg(arch, container, tmp_path):
    # Every official entry gets its own constant, so the test sees any
    # entry landing in the wrong parameter.
    state = OrderedDict()
    for i, (name, shape) in enumerate(official_shapes(arch).items()):
        dtype = torch.long if 'index' in name or 'tracked' in name else None
        state[name] = torch.full(shape, i, dtype=dtype or torch.float32)
    path = str(tmp_path / f'{arch}.ckpt')
    prefix = 'module.' if container == 'model' else ''
    torch.save({container: {prefix + k: v for k, v in state.items()},
                'epoch': 3}, path)
    model = LightViT(arch, init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    own = model.state_dict()
    loaded = convert(state)
    assert set(own) - set(loaded) == {
        k for k in own if re.match(r'(norm\d|trans_conv)\.', k)}
    for name, value in loaded.items():
        assert torch.equal(own[name], value.to(own[name].dtype)), name


def test_wrong_token_count_is_reported(tmp_path):
    state = convert(official_state('t'))
    state['global_token'] = torch.zeros(1, 512, 64)  # the reference bug
    path = str(tmp_path / 't512.pth')
    torch.save({'state_dict': state}, path)
    model = LightViT('t', init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(ValueError, match='global_token'):
        model.init_weights()


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize('drop_global_last', [False, True])
def test_numerics_at_224_match_rederivation(drop_global_last):
    model, sd = loaded_tiny(drop_global_last=drop_global_last)
    img = torch.randn(1, 3, 224, 224, generator=torch.Generator()
                      .manual_seed(1))
    with torch.no_grad():
        ours = model(img)
        sd64 = {k: v.double() if v.is_floating_point() else v
                for k, v in sd.items()}
        ref = ref_lightvit(sd64, img.double(), (2, 6, 6), (2, 4, 8),
                           drop_global_last)
    for o, r, size in zip(ours, ref, (28, 14, 7)):
        assert o.shape == r.shape == (1, o.shape[1], size, size)
        rel = (o.double() - r).abs().max() / r.abs().max()
        assert rel <= 1e-4, rel


@pytest.mark.parametrize('mask_padding', [True, False])
def test_padded_sizes_match_rederivation(mask_padding):
    """Odd sizes: the model pads to window multiples. Masked, the
    re-derivation has no padding at all (ragged edge windows), so equality
    shows padded keys get zero weight everywhere (local and global);
    unmasked, it must reproduce the original detector."""
    model, sd = loaded_tiny(mask_padding=mask_padding)
    model.double()
    img = torch.randn(1, 3, 120, 178, dtype=torch.float64,
                      generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ours = model(img)
        sd64 = {k: v.double() if v.is_floating_point() else v
                for k, v in sd.items()}
        ref = ref_lightvit(sd64, img, (2, 6, 6), (2, 4, 8), True,
                           mask_padding)
    for o, r, size in zip(ours, ref, ((15, 23), (8, 12), (4, 6))):
        assert o.shape[-2:] == size
        assert_close(o, r, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize('hw', [(9, 10), (7, 7), (3, 15)])
def test_attention_ignores_padding(hw):
    torch.manual_seed(0)
    attn = LightViTAttention(dim=64, num_heads=2).double()
    for param in attn.parameters():  # soft attention: padding would show
        torch.nn.init.normal_(param, std=0.2)
    x = torch.randn(2, 8 + hw[0] * hw[1], 64, dtype=torch.float64)
    sd = {'a.' + k: v for k, v in attn.state_dict().items()}
    with torch.no_grad():
        ref = ref_attention(sd, 'a', x, *hw, heads=2)
        assert_close(attn(x, hw), ref, rtol=1e-9, atol=1e-9)
        attn.mask_padding = False  # the original: padded keys leak in
        unmasked = attn(x, hw)
        assert_close(unmasked, ref_attention(sd, 'a', x, *hw, heads=2,
                                             masked=False),
                     rtol=1e-9, atol=1e-9)
    if hw[0] % 7 or hw[1] % 7:
        assert not torch.allclose(unmasked, ref, rtol=1e-3, atol=1e-3)
    else:
        assert_close(unmasked, ref, rtol=1e-9, atol=1e-9)


def test_padded_keys_get_zero_weight():
    """The local mask sends every padded key to -inf (softmax weight 0)."""
    attn = LightViTAttention(dim=32, num_heads=1)
    mask = attn._local_mask((8, 9), torch.float32, torch.device('cpu'))
    valid = window_valid_mask((8, 9), 7)
    assert mask.shape == (4, 49, 49) and valid.shape == (4, 49)
    assert valid.sum() == 8 * 9
    assert torch.isinf(mask[~valid[:, None, :].expand_as(mask)]).all()
    assert torch.isfinite(mask[valid[:, None, :].expand_as(mask)]).all()


def test_last_block_drops_global_tokens():
    block = LightViTBlock(32, 1, 4.0, drop_global=True).eval()
    assert block(torch.randn(1, 8 + 4 * 5, 32), (4, 5)).shape == (1, 20, 32)


# --------------------------------------------------------------------- API
@pytest.mark.parametrize('arch', ['t', 's', 'b'])
def test_output_levels_any_size(arch):
    torch.manual_seed(0)
    with torch.device('meta') if arch == 'b' else torch.device('cpu'):
        model = LightViT(arch, drop_path_rate=0.).eval()
    assert model.out_channels == (DIMS[arch][0], ) + DIMS[arch]
    if arch == 'b':
        return  # channel/shape contract only; the forward is as for t/s
    for size in ((64, 64), (65, 97)):
        with torch.no_grad():
            outs = model(torch.randn(2, 3, *size))
        for out, stride, ch in zip(outs, (4, 8, 16, 32), model.out_channels):
            assert out.shape == (2, ch, math.ceil(size[0] / stride),
                                 math.ceil(size[1] / stride))


def test_stride4_level_and_out_indices():
    model = LightViT('t', out_indices=(-1, 1), out_norm_cfg=None).eval()
    assert model.out_indices == (1, 3) and not hasattr(model, 'trans_conv')
    assert model.out_channels == (64, 256)
    full = LightViT('t', out_norm_cfg=None).eval()
    full.load_state_dict(model.state_dict(), strict=False)
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        sub, every = model(x), full(x)
        expected_up = F.conv_transpose2d(every[1], full.trans_conv.weight,
                                         full.trans_conv.bias, stride=2)
    assert_close(sub[0], every[1])
    assert_close(sub[1], every[3])
    assert_close(every[0], expected_up)


def test_backward_reaches_every_parameter():
    model = LightViT('t', drop_path_rate=0.2).train()
    sum(o.mean() for o in model(torch.randn(2, 3, 65, 97))).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def test_with_cp_matches_plain():
    torch.manual_seed(0)
    plain = LightViT('t', drop_path_rate=0.)
    ckpt = LightViT('t', drop_path_rate=0., with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 64, 64)
    grads = []
    for model in (plain, ckpt):
        model.train()
        sum(o.square().mean() for o in model(x)).backward()
        grads.append(model.stages[1][1].attn.qkv.weight.grad.clone())
    assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-7)


def test_drop_path_rates_rise_linearly():
    model = LightViT('b', drop_path_rate=0.3, out_indices=3)
    blocks = [b for stage in model.stages for b in stage
              if isinstance(b, LightViTBlock)]
    rates = [getattr(b.drop_path, 'drop_prob', 0.) for b in blocks]
    assert_close(torch.tensor(rates), torch.linspace(0, 0.3, 17),
                 rtol=0, atol=1e-7)


def test_frozen_stages_and_norm_eval():
    model = LightViT('t', frozen_stages=1, norm_eval=True)
    model.train()
    assert not model.global_token.requires_grad
    for name, param in model.named_parameters():
        frozen = name.startswith(('patch_embed', 'global_token', 'stages.0.',
                                  'norm1.'))
        assert param.requires_grad != frozen, name
    assert not model.patch_embed.training and not model.stages[0].training
    assert model.stages[1].training and model.trans_conv.training
    assert not model.patch_embed.stem[1].training  # stem BN: norm_eval
    every = LightViT('t', frozen_stages=3).train()
    trainable = {n for n, p in every.named_parameters() if p.requires_grad}
    assert trainable == {'trans_conv.weight', 'trans_conv.bias',
                         'norm0.weight', 'norm0.bias'}
    unfrozen = LightViT('t', norm_eval=True).train()
    assert not unfrozen.patch_embed.stem[4].training
    assert unfrozen.patch_embed.norm.training  # LayerNorm is untouched


def test_get_layer_depth():
    model = LightViT('t', out_indices=3)  # depths 2, 6, 6 -> 16 layers
    cases = {
        'backbone.global_token': 0,
        'backbone.patch_embed.stem.0.weight': 0,
        'backbone.stages.0.0.attn.qkv.weight': 1,
        'backbone.stages.0.1.mlp.fc1.bias': 2,
        'backbone.stages.1.0.reduction.weight': 3,
        'backbone.stages.1.1.norm1.weight': 3,
        'backbone.stages.1.6.norm1.weight': 8,
        'backbone.stages.2.6.mlp.fc2.weight': 14,
        'backbone.norm3.weight': 15,
        'neck.lateral_convs.0.conv.weight': 15,
    }
    for name, layer in cases.items():
        assert model.get_layer_depth(name, 'backbone.') == (layer, 16), name


def test_bad_configuration_errors():
    with pytest.raises(ValueError, match="Unknown LightViT arch 'x'"):
        LightViT('x')
    with pytest.raises(ValueError, match='exactly the keys'):
        LightViT(dict(embed_dims=[64], depths=[2]))
    bad = dict(LightViT.arch_zoo['t'], num_heads=[3, 4, 8])
    with pytest.raises(ValueError, match='divisible by its num_heads'):
        LightViT(bad)
    with pytest.raises(ValueError, match='frozen_stages'):
        LightViT('t', frozen_stages=4)
    with pytest.raises(ValueError, match='out of range'):
        LightViT('t', out_indices=(4, ))
    model = LightViT('t', in_channels=4).eval()
    with pytest.raises(ValueError, match=r'\(B, 4, H, W\)'):
        model(torch.randn(1, 3, 64, 64))
    with pytest.raises(ValueError, match='too small'):
        model(torch.randn(1, 4, 31, 64))
    assert model(torch.randn(1, 4, 32, 33))[3].shape == (1, 256, 1, 2)


def test_custom_arch_dict():
    arch = dict(embed_dims=[32, 64], depths=[1, 1], num_heads=[1, 2],
                mlp_ratios=[2, 2], num_tokens=4)
    model = LightViT(arch, out_indices=(0, 1, 2)).eval()
    outs = model(torch.randn(1, 3, 40, 50))
    assert [o.shape[1] for o in outs] == [32, 32, 64]
    assert [o.shape[-2:] for o in outs] == [(10, 13), (5, 7), (3, 4)]
