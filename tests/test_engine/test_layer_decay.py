"""LayerDecayOptimWrapperConstructor: exact lr and weight decay per param.

Learning rates and decays are powers of two so every product is exact.
"""
from typing import Dict, Tuple

import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper

from hvt_mm.engine.optimizers import LayerDecayOptimWrapperConstructor

LR, WD, RATE = 0.5, 0.25, 0.5
CONSTRUCTOR = 'hvt_mm.LayerDecayOptimWrapperConstructor'


class FakeBackbone(nn.Module):
    """Stem (layer 0), two stages (1, 2), output norm (3) of 4 layers."""

    def __init__(self, depth=None) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3)
        self.stages = nn.ModuleList([
            nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4)),
            nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4)),
        ])
        self.norm = nn.LayerNorm(4)
        self.layer_scale = nn.Parameter(torch.ones(4, 1, 1))
        self._depth = depth

    def get_layer_depth(self, name: str, prefix: str = '') -> Tuple:
        if self._depth is not None:
            return self._depth
        if name.startswith('stem.'):
            return 0, 4
        if name.startswith('stages.'):
            return int(name.split('.')[1]) + 1, 4
        return 3, 4


class FakeDetector(nn.Module):

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = nn.Linear(4, 4)
        self.head = nn.Conv2d(4, 2, 1)


def groups_by_name(model: nn.Module, paramwise_cfg: dict) -> Dict:
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
            constructor=CONSTRUCTOR,
            paramwise_cfg=paramwise_cfg))
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for group in wrapper.optimizer.param_groups:
        assert len(group['params']) == 1
        out[names[id(group['params'][0])]] = (group['lr'],
                                              group['weight_decay'])
    return out


def test_exact_lr_and_decay_per_parameter():
    model = FakeDetector(FakeBackbone())
    got = groups_by_name(
        model,
        dict(
            layer_decay_rate=RATE,
            norm_decay_mult=0.,
            flat_decay_mult=0.,
            custom_keys={'backbone.stem': dict(lr_mult=2.)}))
    s = [RATE**3, RATE**2, RATE, 1.]  # scale of layers 0..3
    expected = {
        # custom key: lr_mult times layer scale, replaces flat/norm rules
        'backbone.stem.weight': (LR * 2 * s[0], WD),
        'backbone.stem.bias': (LR * 2 * s[0], WD),
        'backbone.stages.0.0.weight': (LR * s[1], WD),
        'backbone.stages.0.0.bias': (LR * s[1], 0.),  # flat
        'backbone.stages.0.1.weight': (LR * s[1], 0.),  # BN: norm
        'backbone.stages.0.1.bias': (LR * s[1], 0.),
        'backbone.stages.1.0.weight': (LR * s[2], WD),
        'backbone.stages.1.0.bias': (LR * s[2], 0.),
        'backbone.stages.1.1.weight': (LR * s[2], 0.),  # LayerNorm
        'backbone.stages.1.1.bias': (LR * s[2], 0.),
        'backbone.norm.weight': (LR * s[3], 0.),
        'backbone.norm.bias': (LR * s[3], 0.),
        # 3-D, so flat_decay_mult does not apply (needs a custom key)
        'backbone.layer_scale': (LR * s[3], WD),
        'neck.weight': (LR, WD),
        'neck.bias': (LR, 0.),
        'head.weight': (LR, WD),
        'head.bias': (LR, 0.),
    }
    assert got == expected


def test_frozen_params_skipped_and_bias_decay_mult():
    model = FakeDetector(FakeBackbone())
    for param in model.backbone.stem.parameters():
        param.requires_grad = False
    got = groups_by_name(model,
                         dict(layer_decay_rate=RATE, bias_decay_mult=0.5))
    assert not any(name.startswith('backbone.stem') for name in got)
    assert got['backbone.stages.0.0.bias'] == (LR * RATE**2, WD * 0.5)
    assert got['backbone.stages.0.1.weight'] == (LR * RATE**2, WD)
    assert got['neck.bias'] == (LR, WD * 0.5)
    assert len(got) == 15


def test_rate_one_is_plain_mmengine():
    model = FakeDetector(FakeBackbone())
    got = groups_by_name(model, dict(layer_decay_rate=1.0))
    assert set(got) == {n for n, _ in model.named_parameters()}
    assert set(got.values()) == {(LR, WD)}


@pytest.mark.parametrize('paramwise_cfg, match', [
    (dict(norm_decay_mult=0.), 'needs paramwise_cfg=dict\\(layer_decay_rate'),
    (dict(layer_decay_rate=0.), 'must be a number in \\(0, 1\\]'),
    (dict(layer_decay_rate=1.5), 'must be a number in \\(0, 1\\]'),
])
def test_bad_config(paramwise_cfg, match):
    with pytest.raises(ValueError, match=match):
        LayerDecayOptimWrapperConstructor(
            dict(optimizer=dict(type='AdamW', lr=LR)), paramwise_cfg)


def test_model_without_layer_depth():
    model = FakeDetector(nn.Linear(2, 2))
    with pytest.raises(TypeError, match='has backbone Linear without it'):
        groups_by_name(model, dict(layer_decay_rate=RATE))
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match='has no backbone'):
        groups_by_name(model, dict(layer_decay_rate=RATE))


@pytest.mark.parametrize('depth', [(4, 4), (-1, 4), (1.0, 4), [1, 4]])
def test_bad_layer_depth(depth):
    with pytest.raises(ValueError, match='expected \\(layer_id, num_layers'):
        groups_by_name(
            FakeDetector(FakeBackbone(depth)), dict(layer_decay_rate=RATE))
