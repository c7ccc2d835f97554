"""hvt_mm against the original implementations' own outputs.

``tests/data/golden/*.pt`` were written by
``tools/golden/make_golden_fixtures.py`` from the original repositories'
code (see each fixture's ``source``): seeded weights in the official layout,
a seeded input, subsampled outputs. Here the same weights are rebuilt from
the seed, go through hvt_mm's converters and loaders, and hvt_mm's outputs
must equal the originals' within 1e-5 relative (to each output's scale).
"""
from pathlib import Path
from typing import Dict, Sequence

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

from hvt_mm.checkpoint import CheckpointMismatchError
from hvt_mm.checkpoint.dino import COCO_CATEGORY_IDS
from hvt_mm.checkpoint.dino import convert as convert_dino
from hvt_mm.checkpoint.efficientvit import convert_segmentor
from hvt_mm.models.backbones import EfficientViT, FasterViT, FastViT, LightViT
from hvt_mm.models.necks import LightViTFPN
from hvt_mm.utils import golden
from tests.efficientvit_reference import SEG_MODELS

GOLDEN = Path(__file__).parent / 'data' / 'golden'
ROOT = Path(__file__).parents[1]
RTOL = 1e-5


def load_fixture(name: str):
    fixture = torch.load(GOLDEN / f'{name}.pt', weights_only=True)
    state = golden.fixture_weights(fixture)
    x = golden.seeded_input(fixture['input_shape'], fixture['input_seed'])
    return fixture, state, x


def assert_matches(fixture: dict, ours: Dict[str, torch.Tensor]) -> None:
    """Each named output: same shape, same subsample within RTOL of the
    original's largest magnitude."""
    assert ours, 'nothing compared'
    for name, tensor in ours.items():
        assert list(tensor.shape) == fixture['output_shapes'][name], name
        want = fixture['outputs'][name]
        got = golden.subsample(tensor)
        scale = want.abs().max()
        assert scale > 1e-3, f'{name}: degenerate fixture'
        err = ((got - want).abs().max() / scale).item()
        assert err < RTOL, f'{name}: relative error {err:.2e}'


def outputs_named(names: Sequence[str], outs) -> Dict[str, torch.Tensor]:
    return dict(zip(names, outs))


@torch.no_grad()
def test_fastervit_0_classifier_features():
    fixture, state, x = load_fixture('fastervit_0')
    raw = FasterViT(arch='0', out_indices=(0, 1, 2, 3), out_norm_cfg=None)
    # No output norms: the classifier's final norm has nowhere to go.
    raw.load_state_dict({
        k: v
        for k, v in state.items() if not k.startswith('norm.')
    })
    stages = [f'stage{i}' for i in range(4)]
    assert_matches(fixture, outputs_named(stages, raw.eval()(x)))
    # The classifier's final BatchNorm becomes the last output norm.
    normed = FasterViT(
        arch='0', out_indices=(3, ), out_norm_cfg=dict(type='BN'))
    normed.load_state_dict(state)
    assert_matches(fixture, {'norm': normed.eval()(x)[0]})


@torch.no_grad()
def test_fastvit_t8_unfused_and_fused():
    fixture, state, x = load_fixture('fastvit_t8')
    model = FastViT(arch='t8', out_indices=(0, 1, 2, 3))
    model.load_state_dict(state)
    model.eval()
    assert_matches(fixture,
                   outputs_named([f'unfused{i}' for i in range(4)], model(x)))
    model.switch_to_deploy()
    assert_matches(fixture,
                   outputs_named([f'fused{i}' for i in range(4)], model(x)))


def efficientvit_segmentor(name: str) -> nn.Module:
    from mmseg.registry import MODELS
    cfg = Config.fromfile(ROOT / 'configs' / f'efficientvit_seg_{name}.py')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg.model).eval()


@pytest.mark.parametrize('name', SEG_MODELS)
@torch.no_grad()
def test_efficientvit_published_segmentors(name):
    """All 11 released EfficientViT segmentors, converted for mmseg and
    loaded strictly: the original's logits and last stage map."""
    fixture, state, x = load_fixture(f'efficientvit_{name}')
    segmentor = efficientvit_segmentor(name)
    segmentor.load_state_dict(convert_segmentor(state), strict=True)
    feats = segmentor.backbone(x)  # stages 1-4 (strides 4-32)
    ours = {'logits': segmentor.decode_head(feats)}
    if 'stage_final' in fixture['outputs']:
        ours['stage_final'] = feats[-1]
    else:
        ours.update(outputs_named([f'stage{i}' for i in range(1, 5)], feats))
    assert_matches(fixture, ours)


@torch.no_grad()
def test_efficientvit_b1_backbone_alone():
    fixture, state, x = load_fixture('efficientvit_b1_ade20k')
    backbone = EfficientViT(
        arch='b1', out_indices=(0, 1, 2, 3, 4), out_norm_cfg=None)
    backbone.load_state_dict(state)  # backbone entries of a segmentor file
    assert_matches(
        fixture,
        outputs_named([f'stage{i}' for i in range(5)],
                      backbone.eval()(x)))


@torch.no_grad()
def test_lightvit_t_classification_form():
    fixture, state, x = load_fixture('lightvit_t_classification')
    model = LightViT(
        arch='t',
        out_indices=(1, 2, 3),
        out_norm_cfg=None,
        drop_global_last=False)
    model.load_state_dict(state)
    assert_matches(
        fixture, outputs_named([f'stage{i}' for i in range(3)],
                               model.eval()(x)))


class Detector(nn.Module):
    """The backbone and neck of a detector, under the detector's names."""

    def __init__(self, backbone: nn.Module, neck: nn.Module) -> None:
        super().__init__()
        self.backbone, self.neck = backbone, neck

    def forward(self, x):
        feats = self.backbone(x)
        return feats, self.neck(feats)


@torch.no_grad()
def test_lightvit_t_detection_form_with_lightvit_fpn():
    """The published detector's layout (512 tokens, stage norms norm0..2)
    loads strictly, every tensor where it belongs."""
    fixture, state, x = load_fixture('lightvit_t_detection')
    model = Detector(
        LightViT(
            arch='t',
            num_tokens=fixture['num_tokens'],
            out_indices=(1, 2, 3),
            mask_padding=False,
            norm_eval=True), LightViTFPN([64, 128, 256], 256, num_outs=5))
    model.load_state_dict(state, strict=True)
    feats, outs = model.eval()(x)
    assert_matches(fixture,
                   outputs_named([f'backbone{i}' for i in range(3)], feats))
    assert_matches(fixture, outputs_named([f'neck{i}' for i in range(5)],
                                          outs))


@pytest.mark.slow
@torch.no_grad()
def test_fastervit_4_21k_dino_published_detector():
    """The published FasterViT DINO detector's layout (IDEA-Research DINO
    with FasterViT-4-21K), converted to mmdet's DINO: last-layer logits of
    the 80 categories and boxes of all 900 queries."""
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    fixture, state, x = load_fixture('fastervit_4_21k_dino')
    for override in fixture['bias_overrides'].values():
        assert set(override['rows']) == set(range(91)) - set(COCO_CATEGORY_IDS)
    cfg = Config.fromfile(ROOT / 'configs' /
                          'dino_4scale_fastervit_4_21k_coco.py')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model).eval()
    model.load_state_dict(convert_dino(state), strict=True)
    size = tuple(x.shape[-2:])
    sample = DetDataSample(
        metainfo=dict(img_shape=size, batch_input_shape=size))
    # float64 as the fixture: which of ~1700 proposals pair with which of
    # the 900 queries must not hang on float32 rounding.
    assert fixture['dtype'] == 'float64'
    scores, boxes = model.double()(x.double(), [sample], mode='tensor')
    assert_matches(fixture, {'logits': scores[-1], 'boxes': boxes[-1]})


def test_fixtures_are_small_and_name_their_source():
    sizes = [p.stat().st_size for p in GOLDEN.glob('*.pt')]
    assert len(sizes) == 16 and sum(sizes) < 3 * 2**20
    for path in GOLDEN.glob('*.pt'):
        fixture = torch.load(path, weights_only=True)
        assert '@' in fixture['source'] or '==' in fixture['source']


def test_wrong_token_count_names_the_setting():
    """The 512-token detector into an 8-token model: the error says which
    setting fits, whichever way it is loaded."""
    _, state, _ = load_fixture('lightvit_t_detection')
    detector = Detector(
        LightViT(arch='t', out_indices=(1, 2, 3)),
        LightViTFPN([64, 128, 256], 256, num_outs=5))
    with pytest.raises(
            CheckpointMismatchError, match=r"arch='t', num_tokens=512"):
        detector.load_state_dict(state)
