"""EfficientViTHead: presets, arbitrary sizes, errors, faithful numerics."""
from functools import partial

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from hvt_mm.checkpoint.efficientvit import convert_segmentor
from hvt_mm.models.decode_heads.efficientvit_head import (PRESETS,
                                                          EfficientViTHead)
from tests.efficientvit_reference import reference_attention
from tests.mm_inputs import seg_loss_step
from tests.official_keys import official_shapes, random_state

pytestmark = pytest.mark.usefixtures('single_thread')


def _segmentor(preset, **backbone):
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    return MODELS.build(
        dict(
            type='EncoderDecoder',
            data_preprocessor=dict(
                type='SegDataPreProcessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                bgr_to_rgb=True,
                size_divisor=32),
            backbone=dict(
                type='hvt_mm.EfficientViT',
                arch=preset.split('_')[0],
                **backbone),
            decode_head=dict(type='EfficientViTHead', preset=preset),
            train_cfg=dict(),
            test_cfg=dict(mode='whole')))


# ----------------------------------------------- independent re-derivation
# Written from the spec against the *official* key names, with plain
# functional ops (attention core in float64); shares nothing with hvt_mm's
# modules.
_CHAINS = {  # first conv -> (conv sequence, the conv carrying the stride)
    'inverted_conv': (('inverted_conv', 'depth_conv', 'point_conv'),
                      'depth_conv'),
    'spatial_conv': (('spatial_conv', 'point_conv'), 'spatial_conv'),
    'conv1': (('conv1', 'conv2'), 'conv1'),
    'depth_conv': (('depth_conv', 'point_conv'), 'depth_conv'),
}


def _conv(sd, p, x, eps, stride=1, act=None):
    w = sd[p + '.conv.weight']
    x = F.conv2d(
        x,
        w,
        sd.get(p + '.conv.bias'),
        stride,
        w.shape[-1] // 2,
        groups=x.shape[1] // w.shape[1])
    if p + '.norm.weight' in sd:
        x = F.batch_norm(x, sd[p + '.norm.running_mean'],
                         sd[p + '.norm.running_var'], sd[p + '.norm.weight'],
                         sd[p + '.norm.bias'], False, 0., eps)
    return act(x) if act else x


def _block(sd, p, x, eps, act, stride=1):
    """Conv chain; activation after every conv but the last."""
    first = next(n for n in _CHAINS if f'{p}.{n}.conv.weight' in sd)
    names, carrier = _CHAINS[first]
    for i, name in enumerate(names):
        x = _conv(sd, f'{p}.{name}', x, eps, stride if name == carrier else 1,
                  act if i < len(names) - 1 else None)
    return x


def _lite_mla(sd, p, x, dim, eps):
    qkv = F.conv2d(x, sd[p + '.qkv.conv.weight'])
    dw, pw = sd[p + '.aggreg.0.0.weight'], sd[p + '.aggreg.0.1.weight']
    agg = F.conv2d(qkv, dw, padding=2, groups=qkv.shape[1])
    agg = F.conv2d(agg, pw, groups=qkv.shape[1] // pw.shape[1])
    out = reference_attention(torch.cat([qkv, agg], 1), dim).to(x.dtype)
    return _conv(sd, p + '.proj', out, eps)


def _ops(sd, prefix):
    found = set()
    for key in sd:
        if key.startswith(prefix + '.op_list.'):
            found.add(int(key[len(prefix) + 9:].split('.')[0]))
    return sorted(found)


def reference_logits(sd, x, series, dim):
    eps = 1e-5 if series == 'b' else 1e-7
    act = F.hardswish if series == 'b' else partial(F.gelu, approximate='tanh')
    stages = (['backbone.input_stem'] +
              [f'backbone.stages.{i}' for i in range(4)]
              if series == 'b' else [f'backbone.stages.{i}' for i in range(5)])
    feats = []
    for s, stage in enumerate(stages):
        for j in _ops(sd, stage):
            p = f'{stage}.op_list.{j}'
            if s == 0 and j == 0:  # stem conv
                x = _conv(sd, p, x, eps, 2, act)
            elif p + '.context_module.main.qkv.conv.weight' in sd:
                x = x + _lite_mla(sd, p + '.context_module.main', x, dim, eps)
                x = x + _block(sd, p + '.local_module.main', x, eps, act)
            elif j == 0:  # strided first block, no shortcut
                x = _block(sd, p + '.main', x, eps, act, stride=2)
            else:
                x = x + _block(sd, p + '.main', x, eps, act)
        feats.append(x)
    # Original head: factor-based bicubic upsampling, add-fusion s4+(s3+s2).
    up = partial(F.interpolate, mode='bicubic', align_corners=False)
    y4 = up(
        _conv(sd, 'head.input_ops.0.op_list.0', feats[4], eps), scale_factor=4)
    y3 = up(
        _conv(sd, 'head.input_ops.1.op_list.0', feats[3], eps), scale_factor=2)
    x = y4 + (y3 + _conv(sd, 'head.input_ops.2', feats[2], eps))
    for j in _ops(sd, 'head.middle'):
        x = x + _block(sd, f'head.middle.op_list.{j}.main', x, eps, act)
    outs = _ops(sd, 'head.output_ops.0')
    for j in outs:
        x = _conv(
            sd,
            f'head.output_ops.0.op_list.{j}',
            x,
            eps,
            act=act if j != outs[-1] else None)
    return x


@pytest.mark.parametrize('preset,dim', [('b0_cityscapes', 16),
                                        ('b1_ade20k', 16), ('l1_ade20k', 32)])
def test_logits_equal_original_math(preset, dim):
    state = random_state(official_shapes(f'efficientvit_seg_{preset}'), seed=3)
    model = _segmentor(preset).eval()
    model.load_state_dict(convert_segmentor(state), strict=True)
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        ours = model._forward(x)
    ref = reference_logits(state, x, preset[0], dim)
    assert ours.shape == ref.shape == (1, PRESETS[preset]['num_classes'], 8,
                                       12)
    scale = ref.abs().max().item()
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4 * scale)


# ------------------------------------------------------------ behaviour
def test_any_input_size():
    model = _segmentor('b0_cityscapes').eval()
    with torch.no_grad():
        out = model._forward(torch.randn(1, 3, 65, 97))
    # stage2 is 9x13 while stage4 is 3x4 (x4 = 12x16): resized by size.
    assert out.shape == (1, 19, 9, 13)
    assert torch.isfinite(out).all()


def test_resize_by_size_equals_factor_for_multiples():
    head = EfficientViTHead(preset='b1_cityscapes')
    x = torch.randn(1, 4, 3, 5)
    torch.testing.assert_close(
        head._resize(x, torch.Size((12, 20))),
        F.interpolate(x, scale_factor=4, mode='bicubic', align_corners=False),
        rtol=0,
        atol=0)


def test_inference_logits_resized_bicubic():
    head = EfficientViTHead(preset='b0_cityscapes')
    logits = torch.randn(1, 19, 4, 6)
    metas = [dict(img_shape=(29, 45), pad_shape=(32, 48))]
    torch.testing.assert_close(
        head.predict_by_feat(logits, metas),
        F.interpolate(
            logits, size=(32, 48), mode='bicubic', align_corners=False),
        rtol=0,
        atol=0)
    head.logit_resize_mode = 'bilinear'  # mmseg's behaviour
    torch.testing.assert_close(
        head.predict_by_feat(logits, metas),
        F.interpolate(
            logits, size=(32, 48), mode='bilinear', align_corners=False),
        rtol=0,
        atol=0)


def test_logits_to_original_is_one_bicubic_resize():
    """The official ADE20K evaluation: stride-8 logits go straight to the
    original label size; mmseg's later resize to ori_shape is then the
    identity. A padded batch keeps the usual resize to the input."""
    from mmseg.models.utils import resize
    head = EfficientViTHead(preset='b1_ade20k', logits_to_original=True)
    logits = torch.randn(1, 150, 64, 100)
    meta = dict(
        img_shape=(512, 800), pad_shape=(512, 800), ori_shape=(300, 457))
    out = head.predict_by_feat(logits, [meta])
    torch.testing.assert_close(
        out,
        F.interpolate(
            logits, size=(300, 457), mode='bicubic', align_corners=False),
        rtol=0,
        atol=0)
    torch.testing.assert_close(
        resize(out, size=(300, 457), mode='bilinear', align_corners=False),
        out,
        rtol=0,
        atol=0)
    padded = dict(meta, pad_shape=(512, 832))
    assert head.predict_by_feat(logits, [padded]).shape[-2:] == (512, 832)


def test_bf16_autocast_head_is_finite():
    model = _segmentor('b0_cityscapes').eval()
    x = torch.randn(1, 3, 64, 64) * 20
    with torch.no_grad():
        ref = model._forward(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = model._forward(x)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(
        out.float(), ref, rtol=0.1, atol=0.1 * ref.abs().max().item())


@pytest.mark.parametrize('preset', sorted(PRESETS))
def test_preset_settings(preset):
    with torch.device('meta'):
        head = EfficientViTHead(preset=preset)
    spec = PRESETS[preset]
    width = spec['head_width']
    final = spec['final_expand']
    assert head.channels == width * (final or 1)
    assert head.num_classes == spec['num_classes']
    assert len(head.middle.op_list) == spec['head_depth']
    assert len(head.output_ops[0].op_list) == (1 if final else 0)
    assert head.conv_seg.in_channels == head.channels
    eps = {
        m.eps
        for m in head.modules() if isinstance(m, torch.nn.BatchNorm2d)
    }
    assert eps == {1e-5 if preset[0] == 'b' else 1e-7}
    assert head.in_index == [1, 2, 3]


def test_preset_cfg_and_overrides():
    cfg = EfficientViTHead.preset_cfg('B1', 'Cityscapes', num_classes=7)
    assert cfg == dict(
        type='EfficientViTHead', preset='b1_cityscapes', num_classes=7)
    head = EfficientViTHead(
        preset='b1_cityscapes', num_classes=7, final_expand=0)
    assert head.conv_seg.weight.shape == (7, 64, 1, 1)
    assert len(head.output_ops[0].op_list) == 0


def test_errors():
    with pytest.raises(ValueError, match="preset 'b0_ade20k'.*b1_ade20k"):
        EfficientViTHead(preset='b0_ade20k')
    with pytest.raises(ValueError, match=r"needs \['head_width'"):
        EfficientViTHead(in_channels=[8, 16, 32], num_classes=3)
    head = EfficientViTHead(preset='b1_cityscapes').eval()
    feats = [
        torch.randn(1, c, s, s)
        for c, s in [(32, 16), (64, 8), (128, 4), (512, 2)]
    ]
    with pytest.raises(
            ValueError,
            match=r'input 2 \(backbone output 3, stage4\) has 512 '
            r'channels but in_channels\[2\] is 256.*'
            r'in_channels=\[64, 128, 512\]'):
        head(feats)


def test_loss_step_with_toy_inputs():
    model = _segmentor('b0_cityscapes')
    loss = seg_loss_step(model, num_classes=19)
    assert loss > 0
