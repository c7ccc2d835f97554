"""Every family trains inside Mask R-CNN (mmdet) and UperNet (mmseg)."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from hvt_mm.registry import MODELS
from tests.mm_inputs import det_loss_step, seg_loss_step

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SMALLEST = [
    dict(type='FasterViT', arch='0'),
    dict(type='EfficientViT', arch='b0'),
    dict(type='LightViT', arch='t'),
    dict(type='FastViT', arch='t8'),
]


def _with_backbone(base: str, backbone: dict, det: bool) -> Config:
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', base))
    channels = list(MODELS.build(copy.deepcopy(backbone)).out_channels)
    cfg.model.backbone = backbone
    if det:
        cfg.model.neck.in_channels = channels
        cfg.model.roi_head.bbox_head.num_classes = 3
        cfg.model.roi_head.mask_head.num_classes = 3
    else:
        cfg.model.decode_head.in_channels = channels
        cfg.model.decode_head.num_classes = 4
        cfg.model.auxiliary_head.in_channels = channels[2]
        cfg.model.auxiliary_head.num_classes = 4
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('backbone', SMALLEST, ids=lambda b: b['type'])
def test_mask_rcnn_forward_backward(backbone):
    init_default_scope('mmdet')
    from mmdet.registry import MODELS as DET_MODELS
    cfg = _with_backbone('mask_rcnn_coco.py', backbone, det=True)
    model = DET_MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == backbone['type']
    det_loss_step(model)


@pytest.mark.slow
@pytest.mark.parametrize('backbone', SMALLEST, ids=lambda b: b['type'])
def test_upernet_forward_backward(backbone):
    init_default_scope('mmseg')
    from mmseg.registry import MODELS as SEG_MODELS
    cfg = _with_backbone('upernet_ade20k.py', backbone, det=False)
    model = SEG_MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == backbone['type']
    seg_loss_step(model)
