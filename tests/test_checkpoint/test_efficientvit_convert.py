"""Official EfficientViT cls/seg files -> backbone and mmseg segmentor;
hvt_mm's earlier layout -> today's."""
from pathlib import Path

import pytest
import torch
from mmengine.registry import init_default_scope

from hvt_mm.checkpoint import load_checkpoint_file
from hvt_mm.checkpoint.efficientvit import convert, convert_segmentor
from hvt_mm.models.backbones import HVTBackbone
from hvt_mm.models.backbones.efficientvit import EfficientViT
from hvt_mm.models.backbones.variants import matching_variants
from hvt_mm.models.decode_heads.efficientvit_head import EfficientViTHead
from tests.efficientvit_reference import CLS_MODELS, SEG_MODELS
from tests.official_keys import (meta_state, official_shapes, random_state,
                                 shapes_of)

pytestmark = pytest.mark.usefixtures('single_thread')
FAMILIES = HVTBackbone.families()


def _segmentor_shapes(preset):
    """Parameter/buffer shapes of backbone + head, as in EncoderDecoder."""
    with torch.device('meta'):
        backbone = EfficientViT(preset.split('_')[0])
        head = EfficientViTHead(preset=preset)
    shapes = {}
    for prefix, module in (('backbone.', backbone), ('decode_head.', head)):
        for key, value in module.state_dict().items():
            shapes[prefix + key] = tuple(value.shape)
    return shapes


@pytest.mark.parametrize('preset', SEG_MODELS)
def test_seg_layout_maps_one_to_one(preset):
    official = meta_state(official_shapes(f'efficientvit_seg_{preset}'))
    converted = convert_segmentor(official)
    assert len(converted) == len(official)
    assert shapes_of(converted) == _segmentor_shapes(preset)
    assert list(convert_segmentor(converted)) == list(converted)  # idempotent
    assert 'decode_head.conv_seg.bias' in converted


@pytest.mark.parametrize('name', CLS_MODELS)
def test_cls_backbone_convert(name):
    official = meta_state(official_shapes(f'efficientvit_cls_{name}'))
    backbone = convert(official)
    assert not any(k.startswith(('head.', 'backbone.')) for k in backbone)
    assert len(backbone) == sum(k.startswith('backbone.') for k in official)
    assert list(convert(backbone)) == list(backbone)  # idempotent
    assert matching_variants(official, FAMILIES) == [('EfficientViT', name)]


@pytest.mark.parametrize('name', ['b0', 'l1'])
def test_timm_layout_converts(name):
    """timm names: stem.in_conv / stem.res{i} / stages.{s}.blocks.{j}, where
    the official L model's stage index is one higher (its stem is
    ``stages.0``); both land on stem / stages.{s}.downsample|blocks."""
    official = meta_state(official_shapes(f'efficientvit_cls_{name}'))
    large = name.startswith('l')
    timm = {}
    for key, value in official.items():
        parts = key.split('.')[1:]  # no backbone.
        if key.startswith('head.'):
            continue
        if parts[0] == 'input_stem' or (large and parts[1] == '0'):
            rest = parts[3:] if large else parts[2:]
            index = int(rest[0])
            new = ['stem', 'in_conv' if index == 0 else f'res{index - 1}']
            new += rest[1:]
        else:
            stage = int(parts[1]) - (1 if large else 0)
            new = ['stages', str(stage), 'blocks'] + parts[3:]
        timm['.'.join(new)] = value
    timm['head.classifier.4.weight'] = torch.empty(1000, 8, device='meta')
    converted = convert(timm)
    assert shapes_of(converted) == shapes_of(convert(official))
    assert list(convert(converted)) == list(converted)  # idempotent
    assert matching_variants(timm, FAMILIES) == [('EfficientViT', name)]


@pytest.mark.parametrize('name', ['b0', 'l1'])
def test_official_names_map_to_the_shared_layout(name):
    converted = convert(
        meta_state(official_shapes(f'efficientvit_cls_{name}')))
    for prefix in ('stem.conv.conv.', 'stem.conv.bn.', 'stem.blocks.0.main.',
                   'stages.0.downsample.main.', 'stages.0.blocks.0.main.',
                   'stages.3.blocks.0.context_module.main.qkv.conv.'):
        assert any(k.startswith(prefix) for k in converted), prefix
    assert not any('.op_list.' in k or '.norm.' in k for k in converted)
    assert not any(
        k.startswith(('input_stem.', 'stages.4.')) for k in converted)


def test_seg_file_roundtrip_strict(tmp_path):
    """An official-layout file (wrapped) loads strictly into mmseg."""
    state = random_state(official_shapes('efficientvit_seg_b1_ade20k'))
    path = tmp_path / 'efficientvit_seg_b1_ade20k.pt'
    torch.save({'state_dict': state, 'epoch': 3}, path)
    converted = convert_segmentor(load_checkpoint_file(str(path)))
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    model = MODELS.build(
        dict(
            type='EncoderDecoder',
            backbone=dict(type='EfficientViT', arch='b1'),
            decode_head=dict(type='EfficientViTHead', preset='b1_ade20k')))
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    torch.testing.assert_close(
        model.decode_head.conv_seg.weight,
        state['head.output_ops.0.op_list.0.conv.weight'],
        rtol=0,
        atol=0)
    # The same file initialises a bare backbone through init_cfg.
    backbone = EfficientViT(
        'b1',
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    backbone.init_weights()
    torch.testing.assert_close(
        backbone.stages[3].blocks[3].local_module.main.point_conv.bn.
        running_var,
        state['backbone.stages.3.op_list.4.local_module.main.point_conv.norm'
              '.running_var'],
        rtol=0,
        atol=0)


def test_final_expand_keeps_its_name():
    converted = shapes_of(
        convert_segmentor(
            meta_state(official_shapes('efficientvit_seg_l1_ade20k'))))
    assert converted['decode_head.output_ops.0.op_list.0.conv.weight'] == \
        (1024, 128, 1, 1)
    assert converted['decode_head.conv_seg.weight'] == (150, 1024, 1, 1)


def test_cls_file_is_not_a_segmentor():
    with pytest.raises(ValueError, match='Not an EfficientViT segmentation'):
        convert_segmentor(random_state(official_shapes('efficientvit_cls_b0')))


# ------------------------------------------------ hvt_mm's earlier layout
LEGACY = Path(__file__).parents[1] / 'data' / 'legacy_layout' / \
    'efficientvit_tiny.pt'
# The fixture's archs ('old_arch' there, in the earlier keys) in today's keys.
LEGACY_ARCHS = {
    'l':
    dict(
        series='l',
        stem_dims=4,
        stem_depth=1,
        embed_dims=[4, 8, 8, 8],
        depths=[1, 1, 1, 1],
        head_dim=8,
        norm_eps=1e-7),
    'b':
    dict(
        series='b',
        stem_dims=4,
        stem_depth=1,
        embed_dims=[8, 8, 8, 8],
        depths=[2, 2, 1, 1],
        head_dim=8,
        norm_eps=1e-5),
}
# Stored on another CPU: float32 kernels differ there in the last bits;
# a wrongly mapped weight changes outputs by orders of magnitude more.
STORED_TOLERANCE = dict(rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('series', ['l', 'b'])
@pytest.mark.parametrize('prefix', [None, 'backbone.'])
def test_legacy_layout_loads_with_stored_outputs(tmp_path, series, prefix):
    """Weights saved by hvt_mm before the shared layout load strictly and
    give the stored outputs (to float32 rounding).

    ``tests/data/legacy_layout/efficientvit_tiny.pt`` was made with the
    code of commit 9c2d8ca (``input_stem`` / ``stages.N.op_list.M``,
    ``.norm.`` conv-unit norms; L's stem in ``stages.0``): for each series
    ``EfficientViT(old_arch, out_indices=(0, 1, 2, 3, 4))`` with
    ``torch.manual_seed(0)``, every parameter redrawn from a seeded
    generator (1-D: 0.2 * N(0, 1), plus 1 for weights; others
    1.5 / sqrt(fan_in) * N(0, 1)), BN running means 0.1 * N(0, 1) and
    variances U(0.5, 1.5); in eval mode and with one intra-op thread (as
    this module's tests run: reduction order depends on the thread count),
    its state dict, a seeded 1x3x33x47 input and the five outputs were
    saved.
    """
    fixture = torch.load(LEGACY, weights_only=True)[series]
    state = fixture['state_dict']
    assert any('.op_list.' in k for k in state)  # really the old layout
    if prefix:  # as in a detector / segmentor checkpoint
        state = {prefix + k: v for k, v in state.items()}
        state['decode_head.conv_seg.weight'] = torch.zeros(1)
    path = tmp_path / 'legacy.pth'
    torch.save({'state_dict': state}, path)
    model = EfficientViT(
        LEGACY_ARCHS[series],
        out_indices=(0, 1, 2, 3, 4),
        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix=prefix))
    model.init_weights()  # strict: raises on any missing/unexpected entry
    assert set(model.state_dict()) == set(convert(fixture['state_dict']))
    model.eval()
    with torch.no_grad():
        outs = model(fixture['input'])
    assert len(outs) == len(fixture['outputs']) == 5
    for out, expected in zip(outs, fixture['outputs']):
        torch.testing.assert_close(out, expected, **STORED_TOLERANCE)
    # The fused form of the converted weights matches too (within fusion
    # rounding) and converting a converted dict changes nothing.
    converted = convert(fixture['state_dict'])
    assert list(convert(converted)) == list(converted)
    model.switch_to_deploy()
    with torch.no_grad():
        for out, expected in zip(model(fixture['input']), fixture['outputs']):
            torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-3)


def test_legacy_segmentor_state_converts():
    """A segmentor state dict hvt_mm wrote before (old backbone layout,
    ``.norm.`` conv-unit norms in the head too) loads strictly."""
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    fixture = torch.load(LEGACY, weights_only=True)['b']
    model = MODELS.build(
        dict(
            type='EncoderDecoder',
            backbone=dict(type='EfficientViT', arch=LEGACY_ARCHS['b']),
            decode_head=dict(
                type='EfficientViTHead',
                in_channels=[8, 8, 8],
                head_width=8,
                head_depth=1,
                expand_ratio=2,
                middle_op='mbconv',
                final_expand=2,
                num_classes=3)))
    head = {
        'decode_head.' + k.replace('.bn.', '.norm.'): v
        for k, v in model.decode_head.state_dict().items()
    }
    assert any('.norm.' in k for k in head)
    old = {'backbone.' + k: v for k, v in fixture['state_dict'].items()}
    old.update(head)
    converted = convert_segmentor({'state_dict': old, 'meta': {}})
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert list(convert_segmentor(converted)) == list(converted)


def test_legacy_detector_checkpoint_through_load_from(tmp_path):
    """mmengine's ``load_checkpoint`` (what ``load_from`` runs) of a whole
    detector saved with the earlier layout: the backbone's load hook
    converts it; outputs stay the stored ones."""
    from mmengine.runner import load_checkpoint
    fixture = torch.load(LEGACY, weights_only=True)['l']
    state = {'backbone.' + k: v for k, v in fixture['state_dict'].items()}
    state['neck.weight'] = torch.ones(3, 3, 1, 1)
    path = tmp_path / 'detector.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    detector = torch.nn.Module()
    detector.backbone = EfficientViT(
        LEGACY_ARCHS['l'], out_indices=(0, 1, 2, 3, 4))
    detector.neck = torch.nn.Conv2d(3, 3, 1, bias=False)
    load_checkpoint(detector, str(path), strict=False)
    detector.eval()
    with torch.no_grad():
        outs = detector.backbone(fixture['input'])
    for out, expected in zip(outs, fixture['outputs']):
        torch.testing.assert_close(out, expected, **STORED_TOLERANCE)
