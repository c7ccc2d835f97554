"""Every way of naming weights loads strictly through the family's
converter or raises: ``init_cfg`` as a dict or a list (mmdet's idiom),
``load_state_dict`` and mmengine's ``load_checkpoint`` (what ``load_from``
and ``tools/test.py`` run) of a whole detector; the family's own
initialisation covers what a checkpoint does not hold."""
import pytest
import torch
import torch.nn as nn
from mmengine.runner.checkpoint import load_checkpoint

from hvt_mm.checkpoint import CheckpointMismatchError
from hvt_mm.models.backbones import LightViT
from tests.backbone_families import CASES, case_id
from tests.conftest import randomise


class _Detector(nn.Module):
    """The part of a detector that matters here: ``backbone.*`` entries
    next to others."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = nn.Conv2d(3, 3, 1)


def _saved(family, case, path, **kwargs):
    torch.manual_seed(0)
    model = randomise(family.cls(arch=case.arch, **kwargs))
    torch.save({'state_dict': model.state_dict()}, path)
    return model.state_dict()


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_init_cfg_list_with_pretrained_loads_strictly(family, case, tmp_path):
    path = str(tmp_path / 'weights.pth')
    saved = _saved(family, case, path)
    model = family.cls(
        arch=case.arch,
        init_cfg=[
            dict(type='Pretrained', checkpoint=path),
            dict(type='Constant', layer='Linear', val=0.5),
        ])
    model.init_weights()
    for name, value in model.state_dict().items():
        assert torch.equal(value, saved[name]), name


@pytest.mark.parametrize('family,case', CASES[:1], ids=map(case_id, CASES[:1]))
def test_init_cfg_list_with_a_partial_checkpoint_raises(
        family, case, tmp_path):
    path = str(tmp_path / 'weights.pth')
    saved = _saved(family, case, path)
    dropped = next(k for k in saved if k.endswith('weight'))
    torch.save({k: v for k, v in saved.items() if k != dropped}, path)
    model = family.cls(
        arch=case.arch, init_cfg=[dict(type='Pretrained', checkpoint=path)])
    with pytest.raises(CheckpointMismatchError, match='Missing'):
        model.init_weights()


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_load_from_a_whole_detector_is_strict(family, case, tmp_path):
    """mmengine's load_checkpoint (strict=False, as ``load_from`` runs
    it) loads the backbone exactly, and refuses a backbone that would load
    only in part instead of warning."""
    torch.manual_seed(0)
    source = _Detector(randomise(family.cls(arch=case.arch)))
    path = str(tmp_path / 'detector.pth')
    torch.save({'state_dict': source.state_dict(), 'meta': {}}, path)
    target = _Detector(family.cls(arch=case.arch))
    load_checkpoint(target, path, strict=False)
    for name, value in target.state_dict().items():
        assert torch.equal(value, source.state_dict()[name]), name

    dropped = next(k for k in source.state_dict()
                   if k.startswith('backbone.') and k.endswith('weight'))
    partial = {k: v for k, v in source.state_dict().items() if k != dropped}
    torch.save({'state_dict': partial}, path)
    with pytest.raises(CheckpointMismatchError, match='Missing'):
        load_checkpoint(_Detector(family.cls(arch=case.arch)), path)


def test_family_init_covers_what_the_checkpoint_lacks(tmp_path):
    """LightViT's stride-4 level (``trans_conv``) is not in classification
    checkpoints: it gets the family's initialisation with or without
    pretrained weights."""
    arch = next(case.arch for family, case in CASES if family.cls is LightViT)
    source = LightViT(arch=arch, out_indices=(1, 2, 3))
    path = str(tmp_path / 'cls.pth')
    torch.save(source.state_dict(), path)

    def trans_conv(init_cfg):
        torch.manual_seed(3)
        model = LightViT(arch=arch, out_indices=(0, 1), init_cfg=init_cfg)
        torch.manual_seed(4)
        model.init_weights()
        return model.trans_conv.weight.detach().clone()

    fresh = trans_conv(None)
    pretrained = trans_conv(dict(type='Pretrained', checkpoint=path))
    torch.testing.assert_close(pretrained, fresh, rtol=0, atol=0)
