"""Every shipped config parses, builds, wires channels and trains a step."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.mm_inputs import det_loss_step, seg_loss_step

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', '*.py')))


def _build(cfg: Config):
    cfg.model.backbone.init_cfg = None  # no weight files in tests
    cfg.model.pop('init_cfg', None)
    init_default_scope(cfg.default_scope)
    if cfg.default_scope == 'mmdet':
        from mmdet.registry import MODELS
    else:
        from mmseg.registry import MODELS
    return MODELS.build(cfg.model)


def _expected_channels(out_channels, in_index):
    if isinstance(in_index, int):
        return out_channels[in_index]
    return [out_channels[i] for i in in_index]


def test_configs_exist():
    names = {osp.basename(c) for c in CONFIGS}
    assert 'demo_mask_rcnn_fastervit_0_toy_coco.py' in names
    assert len(names) >= 10


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_trains_one_step(path):
    cfg = Config.fromfile(path)
    assert 'hvt_mm' in cfg.custom_imports['imports']
    assert cfg.get('default_scope') in ('mmdet', 'mmseg')
    model = _build(cfg)
    out_channels = list(model.backbone.out_channels)
    if cfg.default_scope == 'mmdet':
        assert list(model.neck.in_channels) == out_channels
        num_classes = model.roi_head.bbox_head.num_classes
        det_loss_step(model, num_classes=num_classes)
    else:
        for head in [model.decode_head] + list(
                getattr(model, 'auxiliary_head', None)
                and [model.auxiliary_head] or []):
            expected = _expected_channels(out_channels, head.in_index)
            assert head.in_channels == expected, type(head).__name__
        seg_loss_step(model, num_classes=model.decode_head.num_classes)


def test_demo_config_matches_toy_data():
    from hvt_mm.datasets.toy import TOY_COCO_CLASSES, TOY_COCO_METAINFO
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'demo_mask_rcnn_fastervit_0_toy_coco.py'))
    assert tuple(cfg.classes) == TOY_COCO_CLASSES
    assert [tuple(c) for c in cfg.metainfo.palette] == \
        [tuple(c) for c in TOY_COCO_METAINFO['palette']]
    assert cfg.model.roi_head.bbox_head.num_classes == len(TOY_COCO_CLASSES)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'  # exact --resume
