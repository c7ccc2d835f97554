"""The backbone contract, checked once for every family (see
``tests/backbone_families.py``); family files keep only what is specific.
"""
import math
import re

import pytest
import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath
from mmengine.registry import MODELS as ROOT_MODELS
from torch.nn.modules.batchnorm import _BatchNorm

import hvt_mm.models.backbones.base as base
from hvt_mm.checkpoint import CheckpointMismatchError
from hvt_mm.registry import MODELS
from tests.backbone_families import (CASES, FAMILIES, all_families_covered,
                                     case_id)
from tests.conftest import randomise
from tests.official_keys import (meta_state, official_shapes, random_state,
                                 shapes_of)

pytestmark = pytest.mark.usefixtures('single_thread')
ARCHS = [(f, arch) for f in FAMILIES for arch in f.cls.arch_zoo]
SIZES = [(64, 64), (65, 97), (97, 33)]
STRIDES = (4, 8, 16, 32)


def build(family, case, **kwargs):
    return family.cls(arch=case.arch, **kwargs)


def test_every_family_has_an_entry():
    assert all_families_covered()


# ------------------------------------------------------------ every arch
@pytest.mark.parametrize(
    'family,arch', ARCHS, ids=[f'{f.name}-{a}' for f, a in ARCHS])
def test_every_arch_builds_on_meta_with_spec_channels(family, arch):
    with torch.device('meta'):
        model = family.cls(arch=arch)
    assert model.out_channels == family.channels[arch]
    assert len(model.out_indices) == 4
    assert ROOT_MODELS.get(family.name) is family.cls
    assert MODELS.get(family.name) is family.cls


OFFICIAL = [(f, arch, keys, kwargs) for f in FAMILIES
            for arch, files in f.official.items() for keys, kwargs in files]


@pytest.mark.parametrize(
    'family,arch,keys,kwargs', OFFICIAL, ids=[o[2] for o in OFFICIAL])
def test_official_layout_has_zero_missing_keys(family, arch, keys, kwargs):
    """Converted official entries are exactly the model's, bar the layers
    the dense-prediction backbone adds (output norms, new levels)."""
    with torch.device('meta'):
        model = family.cls(arch=arch, **kwargs)
    state = meta_state(official_shapes(keys))
    if family.prefix:
        state = {
            k[len(family.prefix):]: v
            for k, v in state.items() if k.startswith(family.prefix)
        }
    converted = shapes_of(family.cls.checkpoint_converter(state))
    optional = family.cls.optional_checkpoint_keys
    ours = {
        k: v
        for k, v in shapes_of(model.state_dict()).items()
        if not optional.match(k)
    }
    theirs = {k: v for k, v in converted.items() if not optional.match(k)}
    assert ours == theirs


# --------------------------------------------------------------- outputs
@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
@pytest.mark.parametrize('size', SIZES, ids=str)
def test_any_input_size(family, case, size):
    model = randomise(build(family, case)).eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, *size))
    assert len(outs) == 4
    for out, stride, channels in zip(outs, STRIDES, model.out_channels):
        assert out.shape == (2, channels, math.ceil(size[0] / stride),
                             math.ceil(size[1] / stride))
        assert torch.isfinite(out).all()


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
@pytest.mark.parametrize('out_norm_cfg', [dict(type='LN2d'), None], ids=str)
def test_outputs_are_contiguous_for_roi_align(family, case, out_norm_cfg):
    """mmcv's RoIAlign reads its input as contiguous NCHW memory whatever
    the strides, and convolutions keep channels-last strides through the
    neck: channels-last outputs (LN2d, token reshapes) gave detectors wrong
    RoI features."""
    from mmcv.ops import roi_align
    model = randomise(build(family, case, out_norm_cfg=out_norm_cfg)).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert all(out.is_contiguous() for out in outs)
    rois = torch.tensor([[0., 2., 3., 40., 30.], [0., 10., 0., 64., 64.]])
    channels_last = outs[0].contiguous(memory_format=torch.channels_last)
    features = roi_align(outs[0], rois, (7, 7), 0.25, 0, 'avg', True)
    misread = roi_align(channels_last, rois, (7, 7), 0.25, 0, 'avg', True)
    assert not torch.allclose(features, misread)  # why contiguity matters


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_out_indices_and_out_norms(family, case):
    full = build(family, case)
    last = full.num_levels - 1
    model = build(
        family, case, out_indices=(-1, 1), out_norm_cfg=dict(type='BN'))
    assert model.out_indices == (1, last)
    assert model.out_channels == (full.level_channels[1],
                                  full.level_channels[last])
    assert isinstance(getattr(model, f'norm{last}'), nn.BatchNorm2d)
    assert not hasattr(model, 'norm0')
    outs = model.eval()(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == list(model.out_channels)
    assert build(family, case, out_indices=2).out_indices == (2, )
    raw = build(family, case, out_norm_cfg=None)
    assert all(
        isinstance(getattr(raw, f'norm{i}'), nn.Identity)
        for i in raw.out_indices)
    with pytest.raises(ValueError, match='out of range'):
        build(family, case, out_indices=(full.num_levels, ))
    with pytest.raises(ValueError, match='Duplicate'):
        build(family, case, out_indices=(1, 1 - full.num_levels))


# -------------------------------------------------------------- training
def _frozen_k(case):
    return list(range(-1, case.max_frozen + 1))


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_frozen_stages_freeze_exactly_the_documented_parts(family, case):
    for k in _frozen_k(case):
        model = build(
            family, case, frozen_stages=k,
            out_norm_cfg=dict(type='BN')).train()
        prefixes = case.frozen(k) if k >= 0 else []
        for name, param in model.named_parameters():
            frozen = name.startswith(tuple(prefixes)) if prefixes else False
            assert param.requires_grad != frozen, (k, name)
        for name, module in model.named_modules():
            if name and (name + '.').startswith(tuple(prefixes) or '-'):
                assert not module.training, (k, name)  # survives train()
    with pytest.raises(ValueError, match='frozen_stages'):
        build(family, case, frozen_stages=case.max_frozen + 1)


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_norm_eval_only_affects_batchnorm(family, case):
    model = build(
        family, case, norm_eval=True, out_norm_cfg=dict(type='BN')).train()
    assert model.training
    for name, module in model.named_modules():
        if isinstance(module, _BatchNorm):
            assert not module.training, name
        elif list(module.parameters(recurse=False)):
            assert module.training, name


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_with_cp_same_outputs_and_gradients(family, case, monkeypatch):
    calls = []
    real = base.cp.checkpoint
    monkeypatch.setattr(base.cp, 'checkpoint',
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    x = torch.randn(2, 3, 64, 64)
    results = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        model = build(family, case, with_cp=with_cp, drop_path_rate=0.)
        randomise(model).train()
        outs = model(x)
        sum(o.square().mean() for o in outs).backward()
        results.append((outs, {
            n: p.grad
            for n, p in model.named_parameters()
        }))
    assert calls
    (outs0, grads0), (outs1, grads1) = results
    for a, b in zip(outs0, outs1):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert grads0.keys() == grads1.keys()
    assert sum(g is not None for g in grads0.values()) > len(grads0) / 2
    for name, grad in grads0.items():
        if grad is None:  # e.g. carrier tokens of a single-window map
            assert grads1[name] is None, name
        else:
            torch.testing.assert_close(
                grads1[name], grad, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_drop_path_rises_linearly_to_the_rate(family, case):
    """Block ``i`` of ``n`` gets ``rate * i / (n - 1)`` (or ``(i + 1) / n``,
    EfficientViT's residual count); a rate of 0 builds no DropPath."""
    model = build(family, case, drop_path_rate=0.3)
    rates = [
        m.drop_prob for n, m in model.named_modules()
        if n.startswith(case.drop_path_scope) and isinstance(m, DropPath)
    ]
    assert len(rates) >= 3
    expected = [0.3 * (i + 1) / len(rates) for i in range(len(rates))]
    assert rates == pytest.approx(expected)


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_layer_depth_covers_every_parameter(family, case):
    model = build(family, case)
    table = model.layer_table()
    num_layers = len(table) + 1
    optional = family.cls.optional_checkpoint_keys
    used = set()
    for name, _ in model.named_parameters():
        layer_id, total = model.get_layer_depth(name)
        assert total == num_layers
        if optional.match(name):  # output layers come last
            assert layer_id == num_layers - 1, name
            continue
        assert layer_id < num_layers - 1, f'{name} is in no layer'
        assert any(name == p or name.startswith(p + '.')
                   for p in table[layer_id]), name
        used.add(layer_id)
    assert used == set(range(num_layers - 1)), 'a layer has no parameters'
    assert all(
        model.get_layer_depth(n)[0] == 0 for n, _ in model.named_parameters()
        if n.startswith(tuple(case.frozen(0))))
    first = next(n for n, _ in model.named_parameters())
    assert model.get_layer_depth('backbone.' + first, 'backbone.') == \
        model.get_layer_depth(first)
    assert model.get_layer_depth('neck.conv.weight', 'backbone.') == \
        (num_layers - 1, num_layers)


# -------------------------------------------------------- inference form
def _max_rel(ref: torch.Tensor, new: torch.Tensor) -> float:
    return float((ref - new).abs().max() / ref.abs().max())


def _num_bn(model: nn.Module) -> int:
    return sum(isinstance(m, _BatchNorm) for m in model.modules())


# 65x97: odd sizes, padding; 129x161: several windows (FasterViT carrier
# tokens, LightViT padded windows) at stride 16.
DEPLOY_SIZES = [(65, 97), (129, 161)]


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_inference_form_equals_training_form(family, case):
    """switch_to_deploy(): works in training mode (as mmdeploy calls it)
    and leaves eval mode, is idempotent, keeps the outputs (random BN
    statistics and affine weights, so folding is not trivially right),
    re-freezes, and its state dict loads strictly into a deploy=True
    model; a training-form state dict fuses on load there and
    a fused one is refused by a training-form model."""
    torch.manual_seed(0)
    model = randomise(build(family, case, frozen_stages=1)).train()
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    images = [torch.randn(1, 3, *size) for size in DEPLOY_SIZES]
    with torch.no_grad():
        before = [model.eval()(x) for x in images]
    num_bn = _num_bn(model)
    model.train().switch_to_deploy()
    assert not model.training
    fused = {k: v.clone() for k, v in model.state_dict().items()}
    model.switch_to_deploy()  # a second call changes nothing
    assert model.deploy and _num_bn(model) < num_bn
    assert model.state_dict().keys() == fused.keys() != trained.keys()
    assert all(torch.equal(v, fused[k]) for k, v in model.state_dict().items())
    with torch.no_grad():
        after = [model(x) for x in images]
    for outs, news in zip(before, after):
        for ref, new in zip(outs, news):
            assert _max_rel(ref, new) <= 1e-5
    for name, param in model.named_parameters():  # fused layers re-frozen
        assert param.requires_grad != name.startswith(tuple(
            case.frozen(1))), name

    deployed = build(family, case, deploy=True).eval()
    deployed.load_state_dict(fused, strict=True)
    assert deployed.state_dict_form(fused) == 'deploy'
    with torch.no_grad():
        for x, outs in zip(images, after):
            for ref, new in zip(outs, deployed(x)):
                torch.testing.assert_close(new, ref, rtol=0, atol=0)

    on_load = build(family, case, deploy=True)
    on_load.load_state_dict(trained, strict=True)  # fused on load
    for name, value in on_load.state_dict().items():
        torch.testing.assert_close(
            value, fused[name], rtol=1e-6, atol=1e-6, msg=name)
    with pytest.raises(CheckpointMismatchError, match='deploy=True'):
        build(family, case).load_state_dict(fused)


# ----------------------------------------------------------------- input
@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_bad_input_raises_a_clear_error(family, case):
    model = build(family, case, in_channels=4).eval()
    with pytest.raises(ValueError, match=r'\(B, 4, H, W\).*in_channels'):
        model(torch.randn(1, 3, 64, 64))
    small = model.min_input_size - 1
    if small > 0:
        with pytest.raises(ValueError, match='too small'):
            model(torch.randn(1, 4, small, 64))
    with pytest.raises(ValueError, match=f'Unknown {family.name} arch'):
        family.cls(arch='no_such_arch')
    with pytest.raises(ValueError, match='exactly the keys'):
        family.cls(arch={'depths': [1]})


# ----------------------------------------------------------- checkpoints
def _smallest_official(family):
    arch, files = next(iter(family.official.items()))
    keys, kwargs = files[0]
    return arch, keys, kwargs


def _save_official(family, keys, path) -> dict:
    """An official-layout file (timm/mmengine container) of random
    weights; returns the saved state."""
    state = random_state(official_shapes(keys))
    torch.save({'state_dict': state, 'epoch': 3}, path)
    return state


@pytest.mark.parametrize('family', FAMILIES, ids=lambda f: f.name)
def test_init_cfg_loads_an_official_file(family, tmp_path):
    arch, keys, kwargs = _smallest_official(family)
    path = str(tmp_path / 'official.pth')
    state = _save_official(family, keys, path)
    model = family.cls(
        arch=arch,
        **kwargs,
        init_cfg=dict(
            type='Pretrained', checkpoint=path, prefix=family.prefix))
    model.init_weights()
    if family.prefix:
        state = {
            k[len(family.prefix):]: v
            for k, v in state.items() if k.startswith(family.prefix)
        }
    expected = family.cls.checkpoint_converter(state)
    optional = family.cls.optional_checkpoint_keys
    for name, value in model.state_dict().items():
        if not optional.match(name):
            assert torch.equal(value, expected[name].to(value.dtype)), name


@pytest.mark.parametrize('family', FAMILIES, ids=lambda f: f.name)
def test_checkpoint_of_another_variant_names_it(family, tmp_path):
    arch, keys, kwargs = _smallest_official(family)
    other = next(a for a, s in family.cls.arch_zoo.items()
                 if s != family.cls.arch_zoo[arch])
    path = str(tmp_path / 'official.pth')
    _save_official(family, keys, path)
    model = family.cls(
        arch=other,
        **kwargs,
        init_cfg=dict(
            type='Pretrained', checkpoint=path, prefix=family.prefix))
    with pytest.raises(CheckpointMismatchError) as info:
        model.init_weights()
    assert re.search(rf'{family.name} checkpoint of arch=.{arch}.',
                     str(info.value)), str(info.value)


def test_checkpoint_of_another_family_names_it(tmp_path):
    light, fast = FAMILIES[2], FAMILIES[3]
    path = str(tmp_path / 'lightvit.pth')
    _save_official(light, 'lightvit_tiny', path)
    model = fast.cls(
        arch='t8', init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(
            CheckpointMismatchError,
            match=r"LightViT checkpoint \(arch='t'\), not a "
            'FastViT one'):
        model.init_weights()


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_fuse_on_load_reuses_the_checkpoint_tensors(family, case):
    """A training-form checkpoint fused for a deploy=True model: entries
    that fusion leaves alone are the checkpoint's own tensors (no second
    copy of the weights is made)."""
    trained = randomise(build(family, case)).state_dict()
    fused = build(family, case, deploy=True)._fuse_state(trained)
    kept = [
        k for k in fused if k in trained and torch.equal(fused[k], trained[k])
    ]
    assert kept
    assert all(fused[k].data_ptr() == trained[k].data_ptr() for k in kept)
