"""LightViT: numerics, padding masks, the stride-4 level, layer ids."""
import math
from typing import List, Tuple

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from hvt_mm.checkpoint.lightvit import convert
from hvt_mm.models.backbones.lightvit import (LightViT, LightViTAttention,
                                              LightViTBlock, LightViTMerge,
                                              LightViTStage, LightViTStem)
from hvt_mm.models.layers import window_valid_mask
from tests.backbone_families import LIGHTVIT
from tests.official_keys import official_shapes, random_state

KEY_LISTS = {'t': 'lightvit_tiny', 's': 'lightvit_small', 'b': 'lightvit_base'}


def official_state(arch: str, seed: int = 0) -> dict:
    return random_state(official_shapes(KEY_LISTS[arch]), seed)


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
        x = F.conv2d(
            x, w, stride=stride, padding=1, groups=1 if i == 0 else w.shape[0])
        bn = f'patch_embed.stem.{i + 1}.'
        mean = sd[bn + 'running_mean'][:, None, None]
        var = sd[bn + 'running_var'][:, None, None]
        x = (x - mean) / torch.sqrt(var + 1e-5)
        x = F.gelu(x * sd[bn + 'weight'][:, None, None] +
                   sd[bn + 'bias'][:, None, None])
    x = F.conv2d(
        x,
        sd['patch_embed.proj.weight'],
        sd['patch_embed.proj.bias'],
        stride=2,
        padding=1)
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
            rel = torch.tensor([[
                (ya - yb + ws - 1) * (2 * ws - 1) + (xa - xb + ws - 1)
                for yb, xb in pos
            ] for ya, xa in pos])
            bias = table[rel].permute(2, 0, 1)
            out = softmax_attend(q[:, :, yi, xi], k[:, :, yi, xi], v[:, :, yi,
                                                                     xi], bias)
            for n, (y, xx) in enumerate(pos):
                if y < H and xx < W:
                    local[:, :, y, xx] = out[:, :, n]
    q_img, k_img, v_img = (t[:, :, :H, :W].flatten(2, 3) for t in (q, k, v))
    q_glb = ref_linear(sd, p + '.qkv', x[:, :nt])[..., :C]
    q_glb = q_glb.view(B, nt, heads, d).transpose(1, 2)
    glb = softmax_attend(q_glb, k_img, v_img)
    glb = glb.transpose(1, 2).reshape(B, nt, C)
    kg, vg = ref_linear(sd, p + '.kv_global',
                        glb).view(B, nt, 2, heads, d).permute(2, 0, 3, 1, 4)
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
    x = x + ref_attention(
        sd,
        p + '.attn',
        ref_ln(sd, p + '.norm1', x, 1e-6),
        H,
        W,
        heads,
        masked=masked)
    if drop_global:
        x = x[:, -H * W:]
    return x + ref_mlp(sd, p + '.mlp', ref_ln(sd, p + '.norm2', x, 1e-6))


def ref_merge(sd, p, x, H, W):
    B, L, C = x.shape
    glb = x[:, :L - H * W]
    img = x[:, L - H * W:].reshape(B, H, W, C)
    img = F.pad(img, (0, 0, 0, W % 2, 0, H % 2))
    res = F.max_pool2d(img.permute(0, 3, 1, 2), 2).flatten(2).transpose(1, 2)
    cat = torch.cat([
        img[:, 0::2, 0::2], img[:, 1::2, 0::2], img[:, 0::2, 1::2],
        img[:, 1::2, 1::2]
    ], -1)
    out = ref_linear(sd, p + '.reduction',
                     ref_ln(sd, p + '.norm', cat.flatten(1, 2), 1e-5))
    out = out + ref_linear(sd, p + '.res_proj', res)
    glb = ref_linear(sd, p + '.proj', ref_ln(sd, p + '.norm2', glb, 1e-5))
    return torch.cat([glb, out], 1), (H + 1) // 2, (W + 1) // 2


def ref_lightvit(sd,
                 img,
                 depths,
                 heads,
                 drop_global_last,
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
@pytest.mark.parametrize('arch,tokens', [('t', 8), ('s', 16), ('b', 24)])
def test_global_tokens_as_in_the_classification_weights(arch, tokens):
    with torch.device('meta'):
        model = LightViT(arch)
    assert model.global_token.shape[1] == tokens
    assert official_shapes(KEY_LISTS[arch])['global_token'][1] == tokens


def test_module_layout():
    """stem, stages[i] (merge into stage i as downsample, then blocks),
    global tokens and trans_conv at the top level."""
    model = LightViT(LIGHTVIT.cases[0].arch)
    assert isinstance(model.stem, LightViTStem)
    assert [len(s.blocks) for s in model.stages] == [1, 2, 1]
    assert all(type(s) is LightViTStage for s in model.stages)
    assert isinstance(model.stages[0].downsample, torch.nn.Identity)
    assert all(
        isinstance(s.downsample, LightViTMerge) for s in model.stages[1:])
    assert all(
        isinstance(b, LightViTBlock) for s in model.stages for b in s.blocks)
    assert [n for n, _ in model.named_children()] == [
        'stem', 'stages', 'trans_conv', 'norm0', 'norm1', 'norm2', 'norm3'
    ]
    assert model.layer_table()[0] == ['stem', 'global_token']
    assert model.layer_table()[1:3] == [
        ['stages.0.downsample', 'stages.0.blocks.0'],
        ['stages.1.downsample', 'stages.1.blocks.0'],
    ]
    assert len(model.layer_table()) == 1 + 4


def test_frozen_stages_never_freeze_the_stride4_level():
    model = LightViT(LIGHTVIT.cases[0].arch, frozen_stages=3).train()
    trainable = sorted(n for n, p in model.named_parameters()
                       if p.requires_grad)
    assert trainable == [
        'norm0.bias', 'norm0.weight', 'trans_conv.bias', 'trans_conv.weight'
    ]
    assert model.trans_conv.training and model.norm0.training
    assert not model.stem.training and not model.stages[2].training


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
    img = torch.randn(
        1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours = model(img)
        sd64 = {
            k: v.double() if v.is_floating_point() else v
            for k, v in sd.items()
        }
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
    img = torch.randn(
        1,
        3,
        120,
        178,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ours = model(img)
        sd64 = {
            k: v.double() if v.is_floating_point() else v
            for k, v in sd.items()
        }
        ref = ref_lightvit(sd64, img, (2, 6, 6), (2, 4, 8), True, mask_padding)
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
        assert_close(
            unmasked,
            ref_attention(sd, 'a', x, *hw, heads=2, masked=False),
            rtol=1e-9,
            atol=1e-9)
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
def test_stride4_level_and_out_indices():
    model = LightViT('t', out_indices=(-1, 1), out_norm_cfg=None).eval()
    assert model.out_indices == (1, 3) and not hasattr(model, 'trans_conv')
    assert model.out_channels == (64, 256)
    full = LightViT('t', out_norm_cfg=None).eval()
    full.load_state_dict(model.state_dict(), strict=False)
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        sub, every = model(x), full(x)
        expected_up = F.conv_transpose2d(
            every[1], full.trans_conv.weight, full.trans_conv.bias, stride=2)
    assert_close(sub[0], every[1])
    assert_close(sub[1], every[3])
    assert_close(every[0], expected_up)


def test_backward_reaches_every_parameter():
    model = LightViT('t', drop_path_rate=0.2).train()
    sum(o.mean() for o in model(torch.randn(2, 3, 65, 97))).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def test_get_layer_depth():
    model = LightViT('t', out_indices=3)  # depths 2, 6, 6 -> 16 layers
    cases = {
        'backbone.global_token': 0,
        'backbone.stem.convs.0.weight': 0,
        'backbone.stem.norm.bias': 0,
        'backbone.stages.0.blocks.0.attn.qkv.weight': 1,
        'backbone.stages.0.blocks.1.mlp.fc1.bias': 2,
        'backbone.stages.1.downsample.reduction.weight': 3,
        'backbone.stages.1.blocks.0.norm1.weight': 3,
        'backbone.stages.1.blocks.5.norm1.weight': 8,
        'backbone.stages.2.downsample.norm2.weight': 9,
        'backbone.stages.2.blocks.5.mlp.fc2.weight': 14,
        'backbone.norm3.weight': 15,
        'neck.lateral_convs.0.conv.weight': 15,
    }
    for name, layer in cases.items():
        assert model.get_layer_depth(name, 'backbone.') == (layer, 16), name


def test_bad_configuration_errors():
    bad = dict(LightViT.arch_zoo['t'], num_heads=[3, 4, 8])
    with pytest.raises(ValueError, match='divisible by its num_heads'):
        LightViT(bad)
    with pytest.raises(ValueError, match='equal lengths'):
        LightViT(dict(LightViT.arch_zoo['t'], depths=[2, 6]))


def test_custom_arch_dict():
    arch = dict(
        embed_dims=[32, 64],
        depths=[1, 1],
        num_heads=[1, 2],
        mlp_ratios=[2, 2],
        num_tokens=4)
    model = LightViT(arch, out_indices=(0, 1, 2)).eval()
    outs = model(torch.randn(1, 3, 40, 50))
    assert [o.shape[1] for o in outs] == [32, 32, 64]
    assert [o.shape[-2:] for o in outs] == [(10, 13), (5, 7), (3, 4)]


# ------------------------------------------------------------------------
# Inference form (the generic checks are in test_conformance.py)
# ------------------------------------------------------------------------
def test_inference_form_stores_the_gathered_position_bias():
    model = LightViT(LIGHTVIT.cases[0].arch).eval()
    attn = model.stages[1].blocks[0].attn
    with torch.no_grad():
        attn.relative_position_bias_table.normal_()
    gathered = attn.position_bias().detach().clone()
    model.switch_to_deploy()
    assert not hasattr(attn, 'relative_position_bias_table')
    assert torch.equal(attn.relative_position_bias, gathered)
    assert gathered.shape == (attn.num_heads, 49, 49)
    state = model.state_dict()
    assert 'stages.1.blocks.0.attn.relative_position_bias' in state
    assert 'stem.convs.0.bias' in state  # stem BN folded
    assert not any(k.startswith('stem.convs.1.') for k in state)
