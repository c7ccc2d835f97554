"""Official EfficientViT cls/seg files -> backbone and mmseg segmentor."""
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
def test_timm_layout_converts_to_official(name):
    """timm names: stem.in_conv / stem.res{i} / stages.{s}.blocks.{j}, and
    for L the stage index is one lower than the official one."""
    official = convert(meta_state(official_shapes(f'efficientvit_cls_{name}')))
    large = name.startswith('l')
    timm = {}
    for key, value in official.items():
        parts = key.split('.')
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
    assert shapes_of(converted) == shapes_of(official)
    assert list(convert(converted)) == list(converted)  # idempotent
    assert matching_variants(timm, FAMILIES) == [('EfficientViT', name)]


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
        backbone.stages[3].op_list[4].local_module.main.point_conv.norm.
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
