"""tools/model_converters/reparameterize.py: fuse a trained backbone/detector
checkpoint."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from hvt_mm.checkpoint.loading import CheckpointMismatchError
from hvt_mm.models.backbones.fastvit import FastViT
from tests.backbone_families import CASES, case_id
from tests.conftest import randomise
from tests.test_models.test_layers.test_reparam import max_rel_diff
from tests.tool_loader import load_tool

ROOT = Path(__file__).parents[2]
tool = load_tool('tools/model_converters/reparameterize.py')

TINY = dict(
    depths=[1, 1, 1, 1],
    embed_dims=[8, 16, 32, 64],
    mlp_ratios=[2, 2, 2, 2],
    block_types=['repmixer'] * 3 + ['attention'],
    pos_embeds=[False] * 3 + [True],
    layer_scale_init=1e-5)
BACKBONE_CFG = ("model = dict(type='hvt_mm.FastViT', arch={arch!r}, "
                'out_norm_cfg=None)\n')


def _backbone_config(tmp_path) -> str:
    path = tmp_path / 'fastvit_tiny.py'
    path.write_text(BACKBONE_CFG.format(arch=TINY))
    return str(path)


@pytest.mark.parametrize('family,case', CASES, ids=map(case_id, CASES))
def test_backbone_checkpoint_is_fused_and_loads_into_deploy_model(
        family, case, tmp_path, capsys):
    torch.manual_seed(0)
    trained = randomise(family.cls(case.arch, out_norm_cfg=None)).eval()
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save({
        'state_dict': trained.state_dict(),
        'meta': {
            'epoch': 1
        }
    }, ckpt)
    config = tmp_path / 'backbone.py'
    config.write_text(f"model = dict(type='hvt_mm.{family.name}', "
                      f'arch={case.arch!r}, out_norm_cfg=None)\n')
    out = tmp_path / 'fused' / 'fused.pth'
    assert tool.main(
        [str(config),
         str(ckpt),
         str(out), '--input-size', '64', '96']) == 0
    printed = capsys.readouterr().out
    assert 'deploy=True' in printed and str(out) in printed
    deviation = float(
        re.search(r'deviation of backbone outputs: (\S+)', printed).group(1))
    assert deviation <= 1e-5
    fused = torch.load(out, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in fused.values())
    deployed = family.cls(case.arch, out_norm_cfg=None, deploy=True).eval()
    assert deployed.state_dict_form(fused) == 'deploy'
    deployed.load_state_dict(fused, strict=True)
    x = torch.randn(1, 3, 70, 45)
    with torch.no_grad():
        for ref, new in zip(trained(x), deployed(x)):
            assert max_rel_diff(ref, new) <= 1e-5


def test_refuses_deploy_config_and_fused_checkpoint(tmp_path):
    config = _backbone_config(tmp_path)
    model = FastViT(TINY, out_norm_cfg=None).eval()
    model.switch_to_deploy()
    ckpt = tmp_path / 'fused.pth'
    torch.save(model.state_dict(), ckpt)
    out = str(tmp_path / 'out.pth')
    with pytest.raises(SystemExit, match='training config'):
        tool.main(
            [config,
             str(ckpt), out, '--cfg-options', 'model.deploy=True'])
    with pytest.raises(CheckpointMismatchError, match='deploy=True'):
        tool.main([config, str(ckpt), out])
    assert not Path(out).exists()
    assert tool.main([config, str(tmp_path / 'missing.pth'), out]) == 2


@pytest.mark.slow
def test_mask_rcnn_checkpoint(tmp_path):
    pytest.importorskip('mmdet')
    base = str(ROOT / 'configs' / 'mask_rcnn_fastvit_sa12_coco.py')
    config = tmp_path / 'mask_rcnn_fastvit_tiny.py'
    config.write_text(
        f'_base_ = {base!r}\n'
        f"model = dict(backbone=dict(arch=dict(_delete_=True, **{TINY!r}), "
        "init_cfg=None), "
        f"neck=dict(in_channels={TINY['embed_dims']!r}))\n")
    cfg = Config.fromfile(str(config))
    init_default_scope('mmdet')
    detector = MODELS.build(cfg.model)
    randomise(detector.backbone)
    ckpt = tmp_path / 'det.pth'
    torch.save({'state_dict': detector.state_dict()}, ckpt)
    out = tmp_path / 'det_fused.pth'
    assert tool.main(
        [str(config),
         str(ckpt),
         str(out), '--input-size', '64', '96']) == 0
    cfg.merge_from_dict({'model.backbone.deploy': True})
    init_default_scope('mmdet')
    deployed = MODELS.build(cfg.model)
    assert deployed.backbone.deploy
    deployed.load_state_dict(torch.load(out, weights_only=True), strict=True)
    detector.eval()
    deployed.eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for ref, new in zip(
                detector.extract_feat(x), deployed.extract_feat(x)):
            assert max_rel_diff(ref, new) <= 1e-4
