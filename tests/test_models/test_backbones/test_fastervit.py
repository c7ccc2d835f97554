"""FasterViT backbone: API, any-size geometry, and numerics.

The numerics tests compare against :func:`reference_forward`, written here
straight from the specification with explicit Python loops over images,
windows, carrier tokens, heads and token pairs, sharing no code with the
implementation (only the state dict).
"""
import math

import pytest
import torch
import torch.nn.functional as F

from hvt_mm.models.backbones.fastervit import (FasterViT, FasterViTGeometry,
                                               ct_pool_geometry, ct_to_windows,
                                               windows_to_ct)
from hvt_mm.models.layers import (ContinuousPositionBias, FixedPositionBias,
                                  FixedPositionEmbedding, MLPPositionEmbedding)
from tests.backbone_families import FASTERVIT
from tests.conftest import randomise

TINY = FASTERVIT.cases[0].arch

# spec: parameter counts of the reference classifiers (million)
PARAMS_M = {
    '0': 31.40,
    '1': 53.37,
    '2': 75.92,
    '3': 159.55,
    '4': 365.56,
    '5': 957.52,
    '6': 1360.33,
    '4_21k_224': 271.94,
    '4_21k_384': 271.94,
    '4_21k_512': 271.94,
    '4_21k_768': 271.94
}


# --------------------------------------------------------------- reference
def _gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def _linear(x, sd, p, bias=True):
    y = x @ sd[p + 'weight'].t()
    return y + sd[p + 'bias'] if bias else y


def _layer_norm(x, sd, p, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean)**2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * sd[p + 'weight'] + sd[p +
                                                                      'bias']


def _bn(x, sd, p, eps):
    shape = (1, -1, 1, 1)
    return ((x - sd[p + 'running_mean'].view(shape)) /
            torch.sqrt(sd[p + 'running_var'].view(shape) + eps) *
            sd[p + 'weight'].view(shape) + sd[p + 'bias'].view(shape))


def _pos_mlp(coords, sd, p):
    hidden = torch.relu(_linear(coords, sd, p + 'cpb_mlp.0.'))
    return _linear(hidden, sd, p + 'cpb_mlp.2.', bias=False)


def _abs_embed(sd, p, rows, cols):
    coords = []
    for i in range(rows):
        for j in range(cols):
            coords.append([(i - rows // 2) / (rows // 2),
                           (j - cols // 2) / (cols // 2)])
    return _pos_mlp(torch.tensor(coords), sd, p)  # (rows*cols, C)


def _rel_bias(sd, p, rows, cols, norm):
    tokens = [(i, j) for i in range(rows) for j in range(cols)]
    feats = []
    for y1, x1 in tokens:
        for y2, x2 in tokens:
            pair = []
            for delta, n in ((y1 - y2, norm[0]), (x1 - x2, norm[1])):
                v = 8 * delta / max(n - 1, 1)
                pair.append(math.copysign(math.log2(1 + abs(v)), v) / 3)
            feats.append(pair)
    out = _pos_mlp(torch.tensor(feats), sd, p)
    n = len(tokens)
    return 16 * torch.sigmoid(out).view(n, n, -1).permute(2, 0, 1)


def _attention(x, sd, p, heads, bias):
    n, c = x.shape
    hd = c // heads
    qkv = _linear(x, sd, p + 'qkv.').view(n, 3, heads, hd)
    outs = []
    for h in range(heads):
        q, k, v = qkv[:, 0, h], qkv[:, 1, h], qkv[:, 2, h]
        logits = q @ k.t() * hd**-0.5 + bias[h]
        outs.append(torch.softmax(logits, -1) @ v)
    return _linear(torch.cat(outs, -1), sd, p + 'proj.')


def _mlp(x, sd, p):
    return _linear(_gelu(_linear(x, sd, p + 'fc1.')), sd, p + 'fc2.')


def _gamma(sd, name):
    """Layer scale factor (1 when the variant has no layer scale)."""
    return sd.get(name, 1.)


def _hat_stage(img, sd, p, arch, i, ct_norm_mode, mask_padding):
    C, H, W = img.shape
    ws, heads = arch['window_sizes'][i], arch['num_heads'][i]
    Hp, Wp = -(-H // ws) * ws, -(-W // ws) * ws
    xp = torch.zeros(C, Hp, Wp)
    xp[:, :H, :W] = img
    srh, srw = Hp // ws, Wp // ws
    hier = arch['hat'][i] and srh * srw > 1
    win = {
        (a, b): xp[:, a * ws:(a + 1) * ws,
                   b * ws:(b + 1) * ws].reshape(C, -1).t()
        for a in range(srh)
        for b in range(srw)
    }
    # padded positions of each window (for the optional key mask)
    pad = {
        (a, b):
        torch.tensor([
            a * ws + r >= H or b * ws + s >= W for r in range(ws)
            for s in range(ws)
        ])
        for a in range(srh)
        for b in range(srw)
    }
    Gh, Gw = 2 * srh, 2 * srw
    cts = None
    if hier:
        conv = F.conv2d(
            xp[None],
            sd[p + 'carrier_tokenizer.pos_embed.weight'],
            sd[p + 'carrier_tokenizer.pos_embed.bias'],
            padding=1,
            groups=C)[0]
        sh, sw = Hp // Gh, Wp // Gw
        kh, kw = Hp - (Gh - 1) * sh, Wp - (Gw - 1) * sw
        cts = {
            (gy, gx):
            conv[:, gy * sh:gy * sh + kh, gx * sw:gx * sw + kw].mean((1, 2))
            for gy in range(Gh)
            for gx in range(Gw)
        }
        ct_norm = (Gh, Gw) if ct_norm_mode == 'current' else (4, 4)
    depth = arch['depths'][i]
    for j in range(depth):
        q = f'{p}blocks.{j}.'
        win_bias = _rel_bias(sd, q + 'attn.pos_emb_funct.', ws, ws, (ws, ws))
        p_win = _abs_embed(sd, q + 'pos_embed.', ws, ws)
        win = {k: v + p_win for k, v in win.items()}
        if hier:
            cells = [(gy, gx) for gy in range(Gh) for gx in range(Gw)]
            t = torch.stack([cts[c] for c in cells])
            t = t + _abs_embed(sd, q + 'hat_pos_embed.', Gh, Gw)
            ct_bias = _rel_bias(sd, q + 'hat_attn.pos_emb_funct.', Gh, Gw,
                                ct_norm)
            t = t + _gamma(sd, q + 'hat_layer_scale1.weight') * _attention(
                _layer_norm(t, sd, q + 'hat_norm1.', 1e-5), sd,
                q + 'hat_attn.', heads, ct_bias)
            t = t + _gamma(sd, q + 'hat_layer_scale2.weight') * _mlp(
                _layer_norm(t, sd, q + 'hat_norm2.', 1e-5), sd, q + 'hat_mlp.')
            cts = {c: t[n] for n, c in enumerate(cells)}
        new_cts = {}
        for (a, b), tokens in win.items():
            n_ct = 4 if hier else 0
            bias = torch.zeros(heads, n_ct + ws * ws, n_ct + ws * ws)
            bias[:, n_ct:, n_ct:] = win_bias
            if mask_padding:
                bias[:, :, n_ct:][:, :, pad[(a, b)]] = float('-inf')
            own = [(2 * a + r, 2 * b + s) for r in range(2) for s in range(2)]
            seq = torch.cat([torch.stack([cts[c] for c in own]), tokens]) \
                if hier else tokens
            seq = seq + _gamma(sd, q + 'layer_scale1.weight') * _attention(
                _layer_norm(seq, sd, q + 'norm1.', 1e-5), sd, q + 'attn.',
                heads, bias)
            seq = seq + _gamma(sd, q + 'layer_scale2.weight') * _mlp(
                _layer_norm(seq, sd, q + 'norm2.', 1e-5), sd, q + 'mlp.')
            tokens = seq[n_ct:].clone()
            if hier:
                for n, c in enumerate(own):
                    new_cts[c] = seq[n]
                if j == depth - 1 and arch['do_propagation']:
                    for r in range(ws):
                        for s in range(ws):  # nearest: floor(r * 2 / ws)
                            cell = own[(r * 2 // ws) * 2 + s * 2 // ws]
                            tokens[r * ws + s] += new_cts[cell] * _gamma(
                                sd, q + 'hat_layer_scale1.weight')
            win[(a, b)] = tokens
        cts = new_cts if hier else None
    out = torch.zeros(C, Hp, Wp)
    for (a, b), tokens in win.items():
        out[:, a * ws:(a + 1) * ws,
            b * ws:(b + 1) * ws] = tokens.t().reshape(C, ws, ws)
    return out[:, :H, :W]


def reference_forward(model, x, ct_norm_mode='pretrain', mask_padding=False):
    """Raw stage features (after each stage's blocks), eval mode, from the
    spec."""
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    arch = model.arch_settings
    x = torch.relu(
        _bn(
            F.conv2d(x, sd['stem.conv_down.0.weight'], stride=2, padding=1),
            sd, 'stem.conv_down.1.', 1e-4))
    x = torch.relu(
        _bn(
            F.conv2d(x, sd['stem.conv_down.3.weight'], stride=2, padding=1),
            sd, 'stem.conv_down.4.', 1e-4))
    feats = []
    for i in range(4):
        p = f'stages.{i}.'
        if i > 0:  # the downsample leading into stage i
            ln = _layer_norm(
                x.permute(0, 2, 3, 1), sd, p + 'downsample.norm.',
                1e-6).permute(0, 3, 1, 2)
            x = F.conv2d(
                ln,
                sd[p + 'downsample.reduction.0.weight'],
                stride=2,
                padding=1)
        if i < 2:
            for j in range(arch['depths'][i]):
                q = f'{p}blocks.{j}.'
                y = _bn(
                    F.conv2d(
                        x,
                        sd[q + 'conv1.weight'],
                        sd[q + 'conv1.bias'],
                        padding=1), sd, q + 'norm1.', 1e-5)
                y = _bn(
                    F.conv2d(
                        _gelu(y),
                        sd[q + 'conv2.weight'],
                        sd[q + 'conv2.bias'],
                        padding=1), sd, q + 'norm2.', 1e-5)
                x = x + y
        else:
            x = torch.stack([
                _hat_stage(img, sd, p, arch, i, ct_norm_mode, mask_padding)
                for img in x
            ])
        feats.append(x)
    return feats


def build(arch=TINY, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = FasterViT(arch=arch, **kwargs)
    return randomise(model, seed)


def assert_matches_reference(outs, ref):
    assert len(outs) == len(ref)
    for ours, theirs in zip(outs, ref):
        assert ours.shape == theirs.shape
        scale = theirs.abs().max().item()
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-4 * scale)


# ------------------------------------------------------------------ numerics
def test_f0_224_equals_loop_reference():
    model = build('0', out_norm_cfg=None).eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        outs = model(x)
        ref = reference_forward(model, x)
    assert_matches_reference(outs, ref)


@pytest.mark.parametrize(
    'size,ct_norm,mask',
    [
        ((224, 352), 'pretrain', False),  # CT grid 4x8, windows 2x4
        ((224, 352), 'current', False),
        ((97, 131), 'pretrain', True),  # stage-3 map 7x9 padded to 7x14
        ((160, 96), 'current', True),  # taller than wide: 10x6 -> 14x7
    ])
def test_any_size_equals_loop_reference(size, ct_norm, mask):
    model = build(
        out_norm_cfg=None, ct_bias_norm=ct_norm, mask_padding=mask).eval()
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        outs = model(x)
        ref = reference_forward(model, x, ct_norm, mask)
    assert_matches_reference(outs, ref)


def test_do_propagation_is_honoured():
    arch = dict(TINY)
    with_prop = build(arch, out_norm_cfg=None).eval()
    arch['do_propagation'] = False
    without = build(arch, out_norm_cfg=None).eval()
    without.load_state_dict(with_prop.state_dict())
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        a, b = with_prop(x)[2], without(x)[2]
        ref = reference_forward(without, x)[2]
    assert (a - b).abs().max() > 1e-3 * a.abs().max()
    assert_matches_reference([b], [ref])


def test_padding_mask_is_noop_without_padding():
    plain = build(out_norm_cfg=None).eval()
    masked = build(out_norm_cfg=None, mask_padding=True).eval()
    masked.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        for a, b in zip(plain(x), masked(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_attention_uses_sdpa_once_per_attention_layer(monkeypatch):
    calls = []
    sdpa = F.scaled_dot_product_attention

    def counting(q, *args, **kwargs):
        calls.append(q.shape)
        return sdpa(q, *args, **kwargs)

    monkeypatch.setattr(F, 'scaled_dot_product_attention', counting)
    model = build().eval()
    with torch.no_grad():
        model(torch.randn(1, 3, 224, 352))
    # stage 2: 3 blocks x (CT + window attention); stage 3: 2 blocks
    assert len(calls) == 3 * 2 + 2
    assert calls[0] == (1, 2, 4 * 8, 32)  # CTs: one image, 4x8 grid
    assert calls[1] == (8, 2, 4 + 49, 32)  # all 2x4 windows in one call


# ------------------------------------------------------------------ geometry
@pytest.mark.parametrize('padded,grid,kernel,stride', [
    ((14, 14), (4, 4), (5, 5), (3, 3)),
    ((35, 35), (10, 10), (8, 8), (3, 3)),
    ((42, 42), (12, 12), (9, 9), (3, 3)),
    ((56, 84), (16, 24), (11, 15), (3, 3)),
    ((35, 70), (10, 20), (8, 13), (3, 3)),
    ((70, 133), (20, 38), (13, 22), (3, 3)),
])
def test_ct_pool_geometry_matches_spec_table(padded, grid, kernel, stride):
    assert ct_pool_geometry(padded, grid) == (kernel, stride)


def test_ct_window_assignment_non_square():
    # 2x3 windows, ct 2: CT grid 4x6 labelled by its cell index
    geo = FasterViTGeometry(1, 7, (2, 3), 2, (4, 6), (4, 4), None)
    grid = torch.arange(24.).view(1, 24, 1)
    per_window = ct_to_windows(grid, geo)  # (6, 4, 1)
    for a in range(2):
        for b in range(3):
            expected = [(2 * a + i) * 6 + 2 * b + j for i in range(2)
                        for j in range(2)]
            assert per_window[a * 3 + b, :, 0].tolist() == expected
    assert torch.equal(windows_to_ct(per_window, geo), grid)


def _identity_pos_mlp(module, outputs):
    """Make ``cpb_mlp`` return its 2-D input (ReLU(u) - ReLU(-u))."""
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()
        first, last = module.cpb_mlp[0], module.cpb_mlp[2]
        first.weight[:4] = torch.tensor([[1., 0], [0, 1], [-1, 0], [0, -1]])
        last.weight[:2, :4] = torch.tensor([[1., 0, -1, 0], [0, 1, 0, -1]])
    assert outputs == 2


def test_absolute_embedding_normalises_each_axis():
    emb = MLPPositionEmbedding(2)
    _identity_pos_mlp(emb, 2)
    coords = emb((2, 4)).view(2, 4, 2)
    torch.testing.assert_close(coords[:, 0, 0], torch.tensor([-1., 0.]))
    torch.testing.assert_close(coords[0, :, 1],
                               torch.tensor([-1., -0.5, 0., 0.5]))
    assert torch.isfinite(emb((1, 3))).all()


def test_relative_bias_offsets_and_length_one_axis():
    cpb = ContinuousPositionBias(2)
    _identity_pos_mlp(cpb, 2)
    bias = cpb((2, 3), (4, 4))  # (2, 6, 6)
    # token 5 = (1, 2), token 0 = (0, 0): offsets (1, 2) scaled by 8/3
    f = [math.log2(1 + 8 * d / 3) / 3 for d in (1, 2)]
    expected = 16 * torch.sigmoid(torch.tensor(f))
    torch.testing.assert_close(bias[:, 5, 0], expected)
    torch.testing.assert_close(bias[:, 0, 5],
                               16 * torch.sigmoid(-torch.tensor(f)))
    assert torch.isfinite(cpb((1, 4), (1, 4))).all()
    padded = cpb((2, 3), (4, 4), 4)
    assert padded.shape == (2, 10, 10)
    assert padded[:, :4].abs().sum() == 0 and padded[:, :, :4].abs().sum() == 0


def test_position_cache_eval_only_and_never_stale():
    cpb = ContinuousPositionBias(2)
    cpb.eval()
    with torch.no_grad():
        first = cpb((3, 3), (3, 3))
        assert cpb((3, 3), (3, 3)) is first  # cached
        cpb.cpb_mlp[2].weight.add_(1.)  # e.g. an optimizer step
        changed = cpb((3, 3), (3, 3))
    assert not torch.allclose(changed, first)
    cpb.train()
    assert len(cpb._cache) == 0
    with torch.no_grad():
        torch.testing.assert_close(cpb((3, 3), (3, 3)), changed)
        assert len(cpb._cache) == 0  # no caching in train mode
    cpb.eval()
    assert cpb((3, 3), (3, 3)).requires_grad  # grad mode: fresh graph


def test_model_output_follows_weight_change_in_eval():
    model = build().eval()
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        before = model(x)[2]
        model.stages[2].blocks[0].attn.pos_emb_funct.cpb_mlp[2].weight.mul_(3)
        after = model(x)[2]
        fresh = build()
        fresh.load_state_dict(model.state_dict())
        expected = fresh.eval()(x)[2]
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, expected, rtol=0, atol=0)


# ----------------------------------------------------------------------- API
@pytest.mark.parametrize('arch', sorted(FasterViT.arch_zoo))
def test_every_arch_channels_keys_and_parameter_count(arch):
    with torch.device('meta'):
        model = FasterViT(arch=arch, out_norm_cfg=None)
    assert model.out_channels == FASTERVIT.channels[arch]
    params = sum(p.numel() for p in model.parameters())
    width = FASTERVIT.channels[arch][-1]
    params += width * 1000 + 1000 + 2 * width  # classifier head + BN norm
    assert round(params / 1e6, 2) == PARAMS_M[arch]
    names = list(model.state_dict())
    assert not any('relative_' in n or 'to_global_feature' in n for n in names)
    assert ('stages.2.carrier_tokenizer.pos_embed.weight'
            in names) == ('21k' not in arch)


def test_arch_specific_errors():
    with pytest.raises(ValueError, match='divisible'):
        FasterViT(arch=dict(TINY, num_heads=[1, 2, 3, 4]))
    with pytest.raises(ValueError, match='ct_bias_norm'):
        FasterViT(arch=TINY, ct_bias_norm='fixed')


def test_drop_path_defaults_to_the_variant_rate():
    model = FasterViT(arch='0', drop_path_rate=None)
    rates = [
        getattr(b.drop_path, 'drop_prob', 0.) for stage in model.stages
        for b in stage.blocks
    ]
    assert rates == pytest.approx(torch.linspace(0, 0.2, 16).tolist())


def test_default_outputs_are_raw_stage_features():
    """No output norms by default: trained from scratch the detector heads
    learn on the raw stage features and not behind LN2d output norms
    (README demo; docs/learning.md)."""
    torch.manual_seed(0)
    model = FasterViT(arch=TINY).eval()
    raw = FasterViT(arch=TINY, out_norm_cfg=None).eval()
    raw.load_state_dict(model.state_dict())
    for i in model.out_indices:
        assert type(getattr(model, f'norm{i}')) is torch.nn.Identity
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for ours, theirs in zip(model(x), raw(x)):
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_get_layer_depth():
    model = FasterViT(arch='0')  # depths 2, 3, 6, 5 -> 18 layers
    expected = {
        'stem.conv_down.0.weight': 0,
        'stages.0.blocks.0.conv1.weight': 1,
        'stages.1.downsample.norm.weight': 3,  # joins the block it feeds
        'stages.1.blocks.2.conv1.weight': 5,
        'stages.2.carrier_tokenizer.pos_embed.weight': 6,
        'stages.2.blocks.5.hat_attn.qkv.weight': 11,
        'stages.3.downsample.reduction.0.weight': 12,
        'stages.3.blocks.4.mlp.fc2.bias': 16,
        'norm3.weight': 17,
    }
    for name, layer_id in expected.items():
        assert model.get_layer_depth(name) == (layer_id, 18), name
        assert model.get_layer_depth('backbone.' + name,
                                     'backbone.') == (layer_id, 18)
    assert model.get_layer_depth('neck.conv.weight', 'backbone.') == (17, 18)
    for name, _ in model.named_parameters():
        assert 0 <= model.get_layer_depth(name)[0] < 18


# --------------------------------------------------------------------------
# Inference form (the generic checks are in test_conformance.py)
# --------------------------------------------------------------------------
def test_inference_form_precomputes_window_encodings_only():
    """Window encodings depend on the window size only and become buffers;
    carrier-token encodings depend on the input size and stay MLPs."""
    model = FasterViT(TINY).eval()
    model.switch_to_deploy()
    block = model.stages[2].blocks[0]
    dims, heads = TINY['embed_dims'][2], TINY['num_heads'][2]
    assert isinstance(block.pos_embed, FixedPositionEmbedding)
    assert block.pos_embed.embedding.shape == (1, 49, dims)
    assert isinstance(block.attn.pos_emb_funct, FixedPositionBias)
    assert block.attn.pos_emb_funct.bias.shape == (heads, 49, 49)
    assert block.attn.pos_emb_funct((7, 7), (7, 7), 4).shape == \
        (heads, 53, 53)
    assert isinstance(block.hat_pos_embed, MLPPositionEmbedding)
    assert isinstance(block.hat_attn.pos_emb_funct, ContinuousPositionBias)
    with pytest.raises(ValueError, match='precomputed for'):
        block.pos_embed((8, 8))
    state = model.state_dict()
    assert 'stem.conv_down.0.bias' in state
    assert 'stages.0.blocks.0.conv1.bias' in state
    assert not any(
        k.startswith(('stages.0.blocks.0.norm', 'stem.conv_down.1.'))
        for k in state)
    assert not any(
        k.startswith('stages.2.blocks.0.pos_embed.cpb_mlp') for k in state)


# A FasterViT-4-21K-shaped arch (no carrier tokens), small enough for CPU.
SMALL_21K = dict(
    stem_dims=16,
    embed_dims=[16, 32, 64, 128],
    depths=[1, 1, 1, 1],
    num_heads=[1, 2, 4, 8],
    window_sizes=[7, 7, 14, 7],
    hat=[False] * 4,
    layer_scale_init=1e-5,
    do_propagation=False,
    drop_path_rate=0.0)


@torch.no_grad()
def test_dino_compat_pads_conv_stages_and_changes_position_coordinates():
    """dino_compat: the same weights, the published DINO backbone code's
    behaviour (padded conv stages, token-count position coordinates)."""
    from hvt_mm.models.layers.pos_mlp import MLPPositionEmbedding
    plain = FasterViT(arch=SMALL_21K, out_indices=(0, 1, 2, 3)).eval()
    dino = FasterViT(
        arch=SMALL_21K, out_indices=(0, 1, 2, 3), dino_compat=True).eval()
    dino.load_state_dict(plain.state_dict())
    # 224: conv-stage maps 56 and 28 are window multiples, no padding.
    x = torch.randn(1, 3, 224, 224)
    conv_plain, conv_dino = plain(x)[:2], dino(x)[:2]
    for a, b in zip(conv_plain, conv_dino):
        torch.testing.assert_close(a, b)
    assert not torch.allclose(plain(x)[2], dino(x)[2])  # coordinates
    x = torch.randn(1, 3, 200, 232)  # 50x58: padded to 56x63
    assert not torch.allclose(plain(x)[0], dino(x)[0])
    assert dino(x)[0].shape == plain(x)[0].shape

    embed = MLPPositionEmbedding(8, token_count_coords=True)
    embed._mlp_no_autocast = lambda grid: grid  # the MLP's input
    grid = embed._compute((7, 7)).view(7, 7, 2)
    torch.testing.assert_close(grid[:, 0, 0], (torch.arange(7.) - 24) / 24)


def test_dino_compat_refuses_carrier_token_stages():
    with pytest.raises(ValueError, match="arch='4_21k'"):
        FasterViT(arch='0', dino_compat=True)
