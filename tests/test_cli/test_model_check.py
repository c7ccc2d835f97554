"""Neck/head channel checks (hvt_mm.cli.model_check): shipped configs
pass, every head kind is compared (int and list in_index, auxiliary)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from hvt_mm.cli.model_check import channel_problems
from tests.tool_loader import ROOT


def _build(config: str, **changes):
    cfg = Config.fromfile(f'{ROOT}/configs/{config}')
    cfg.merge_from_dict(dict(changes, **{'model.backbone.init_cfg': None}))
    init_default_scope(cfg.default_scope)
    with torch.device('meta'):  # no memory, no weights
        return MODELS.build(cfg.model)


@pytest.mark.parametrize('config', [
    'mask_rcnn_fastvit_sa12_coco.py', 'upernet_lightvit_t_ade20k.py',
    'efficientvit_seg_b1_ade20k.py'
])
def test_shipped_configs_fit_together(config):
    assert channel_problems(_build(config)) == []


def test_auxiliary_head_with_an_int_in_index():
    model = _build('upernet_lightvit_t_ade20k.py',
                   **{'model.auxiliary_head.in_channels': 512})
    channels = list(model.backbone.out_channels)
    assert channel_problems(model) == [
        'model.auxiliary_head.in_channels is 512 but in_index 2 of the '
        f'backbone outputs {channels} gives {channels[2]}'
    ]


def test_native_head_with_a_list_in_index():
    model = _build('efficientvit_seg_b1_ade20k.py',
                   **{'model.backbone.arch': 'b2'})
    problems = channel_problems(model)
    assert len(problems) == 1
    assert problems[0].startswith('model.decode_head.in_channels is ')
