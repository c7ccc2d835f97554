"""hvt_mm.models.inference_form: which form of a model is timed."""
import torch
import torch.nn as nn

from hvt_mm.models.backbones import FastViT
from hvt_mm.models.inference_form import (backbone_form,
                                          describe_inference_form,
                                          inference_form, is_compiled)
from tests.backbone_families import FASTVIT

TINY = FASTVIT.cases[0].arch


def test_backbone_form():
    train, fused = FastViT(TINY), FastViT(TINY, deploy=True)
    assert backbone_form(nn.Conv2d(1, 1, 1)) == 'n/a'
    assert backbone_form(nn.Sequential(train)) == 'train'
    assert backbone_form(nn.Sequential(fused, nn.ReLU())) == 'deploy'
    assert backbone_form(nn.ModuleList([train, fused])) == 'mixed'
    train.eval().switch_to_deploy()
    assert backbone_form(nn.ModuleList([train, fused])) == 'deploy'


def test_compiled_in_place_or_wrapped():
    model = nn.Sequential(FastViT(TINY, deploy=True))
    assert not is_compiled(model)
    assert describe_inference_form(model) == 'deploy-form backbone, eager'
    model[0].compile()  # in place; compiles lazily on the first call
    assert inference_form(model) == {'backbone': 'deploy', 'compiled': 'yes'}
    wrapped = torch.compile(nn.Sequential(FastViT(TINY)))
    assert is_compiled(wrapped)
    assert describe_inference_form(wrapped) == 'train-form backbone, compiled'
