"""The published LightViT detectors (hunto/LightViT detection/) run here:
configs mask_rcnn_lightvit_*_lvfpn_*_coco.py, their checkpoints' layout
(tests/data/golden/lightvit_t_detection.pt holds the key list) and the
optimizer's exact no-decay list."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from hvt_mm.checkpoint import CheckpointMismatchError
from hvt_mm.models.backbones import LightViT
from hvt_mm.utils import golden

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURE = osp.join(ROOT, 'tests', 'data', 'golden', 'lightvit_t_detection.pt')
# The official no-decay keys, in hvt_mm names (stem.N -> stem.convs.N).
NO_DECAY = ('absolute_pos_embed', 'relative_position_bias_table', 'norm',
            'stem.convs.1', 'stem.convs.4', 'stem.convs.7', 'stem.convs.10',
            'global_token')


@pytest.fixture(scope='module')
def detector():
    from mmdet.registry import MODELS
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'mask_rcnn_lightvit_t_lvfpn_1x_coco.py'))
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg.model), cfg


def official_detector_file(model, path: str) -> dict:
    """An mmdet-2.x checkpoint of the official layout: the backbone and
    neck of the golden fixture (official names: norm0..2, 512 tokens),
    this model's heads, and the usual extras."""
    fixture = torch.load(FIXTURE, weights_only=True)
    state = golden.fixture_weights(fixture)
    heads = {
        k: v.clone()
        for k, v in model.state_dict().items()
        if not k.startswith(('backbone.', 'neck.'))
    }
    torch.save(
        dict(
            meta=dict(
                mmdet_version='2.14.0',
                CLASSES=('person', 'bicycle'),
                config='model = dict(...)',
                epoch=12),
            state_dict={
                **state,
                **heads
            },
            optimizer=dict(state={}, param_groups=[dict(lr=2e-6)])), path)
    return state


def test_published_checkpoint_loads_strictly_and_in_place(detector, tmp_path):
    model, _ = detector
    path = str(tmp_path / 'mask_rcnn_lightvit_tiny_fpn_1x_coco.pth')
    state = official_detector_file(model, path)
    load_checkpoint(model, path, map_location='cpu', strict=True)
    own = model.state_dict()
    for i in range(3):  # stage norms norm0..2 -> levels 1..3
        assert torch.equal(own[f'backbone.norm{i + 1}.weight'],
                           state[f'backbone.norm{i}.weight'])
    assert torch.equal(own['backbone.global_token'],
                       state['backbone.global_token'])
    assert torch.equal(own['neck.extra_trans_convs.0.conv.weight'],
                       state['neck.extra_trans_convs.0.conv.weight'])


def test_exact_official_no_decay_list(detector):
    model, cfg = detector
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.named_parameters()}
    decay = {
        names[id(p)]: group['weight_decay']
        for group in optim.optimizer.param_groups
        for p in group['params']
    }
    assert set(decay) == set(names.values())
    for name, wd in decay.items():
        expected = 0.0 if any(k in name for k in NO_DECAY) else 0.04
        assert wd == expected, name
    # As published, biases decay and the stem's convs do; its BNs do not.
    assert decay['backbone.stages.0.blocks.0.attn.qkv.bias'] == 0.04
    assert decay['backbone.stem.convs.0.weight'] == 0.04
    assert decay['backbone.stem.convs.10.bias'] == 0.0


@torch.no_grad()
def test_tokens_start_at_zero_from_the_8_token_imagenet_weights():
    """As the published LightViT-T detector: 512 tokens cannot take the 8
    pretrained ones; with reinit_mismatched_tokens they start at zero and
    everything else loads."""
    source = LightViT(arch='t', out_indices=(1, 2, 3))
    state = source.state_dict()
    model = LightViT(
        arch='t',
        num_tokens=512,
        reinit_mismatched_tokens=True,
        out_indices=(1, 2, 3))
    model.load_state_dict(state)
    assert model.global_token.shape == (1, 512, 64)
    assert not model.global_token.any()
    assert torch.equal(model.stages[2].blocks[0].attn.qkv.weight,
                       source.stages[2].blocks[0].attn.qkv.weight)

    strict = LightViT(arch='t', num_tokens=512, out_indices=(1, 2, 3))
    with pytest.raises(CheckpointMismatchError, match='num_tokens=8'):
        strict.load_state_dict(state)
