"""demo/image_demo.py: mmdet/mmseg inferencers draw predictions to a file."""
import json

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from hvt_mm.datasets.toy import TOY_ADE_CLASSES, TOY_COCO_CLASSES
from tests.backbone_families import LIGHTVIT
from tests.tool_loader import load_tool
from tests.toy_configs import toy_det_cfg, toy_seg_cfg

pytestmark = pytest.mark.usefixtures('single_thread')
demo = load_tool('demo/image_demo.py')
BACKBONE = dict(type='hvt_mm.LightViT', arch=LIGHTVIT.cases[0].arch)


def _setup(task: str, toy_data, tmp_path):
    """Config file, untrained state-dict checkpoint, PNG copy of a toy val
    image (lossless, so every changed pixel was drawn)."""
    if task == 'det':
        cfg = toy_det_cfg(toy_data, tmp_path / 'work', BACKBONE, size=96)
        source = toy_data / 'toy_coco' / 'val' / '000000000001.jpg'
    else:
        cfg = toy_seg_cfg(toy_data, tmp_path / 'work', BACKBONE, size=96)
        source = next(
            (toy_data / 'toy_ade' / 'images' / 'validation').iterdir())
    config = tmp_path / f'{task}.py'
    cfg.dump(str(config))
    init_default_scope(cfg.default_scope)
    from mmengine.registry import MODELS
    torch.manual_seed(0)
    weights = tmp_path / f'{task}.pth'
    torch.save(MODELS.build(cfg.model).state_dict(), weights)
    image = tmp_path / 'image.png'
    cv2.imwrite(str(image), cv2.imread(str(source)))
    return config, weights, image


@pytest.mark.parametrize('task', ['det', 'seg'])
def test_demo_writes_drawn_image(task, toy_data, tmp_path, capsys):
    config, weights, image = _setup(task, toy_data, tmp_path)
    out_dir = tmp_path / 'out'
    code = demo.main([
        str(image),
        str(config), '--weights',
        str(weights), '--out-dir',
        str(out_dir), '--device', 'cpu', '--score-thr', '0'
    ])
    assert code == 0
    drawn = out_dir / 'vis' / 'image.png'
    assert capsys.readouterr().out.strip().endswith(str(drawn))
    original, result = cv2.imread(str(image)), cv2.imread(str(drawn))
    assert result is not None and result.shape == original.shape
    changed = (np.abs(result.astype(int) - original).max(-1) > 0).mean()
    if task == 'det':
        # Random weights, threshold 0: some boxes/masks are drawn.
        assert 0 < changed
        preds = json.loads((out_dir / 'preds' / 'image.json').read_text())
        assert len(preds['bboxes']) == len(preds['labels']) > 0
        assert max(preds['labels']) < len(TOY_COCO_CLASSES)
    else:
        # The overlay covers every pixel.
        assert changed > 0.9
        [label_file] = (out_dir / 'pred').iterdir()  # 00000000_pred.png
        label = cv2.imread(str(label_file), cv2.IMREAD_UNCHANGED)
        assert label.shape == original.shape[:2]
        assert label.max() < len(TOY_ADE_CLASSES)


@pytest.mark.parametrize('task,classes', [('det', TOY_COCO_CLASSES),
                                          ('seg', TOY_ADE_CLASSES)])
def test_labels_come_from_the_config(task, classes, toy_data, tmp_path):
    """A bare state dict has no class names: the config's are used, not
    mmdet's COCO or mmseg's Cityscapes defaults."""
    config, weights, _ = _setup(task, toy_data, tmp_path)
    cfg = demo.load_config(str(config))
    inferencer = demo.build_inferencer(cfg, str(weights), 'cpu')
    assert tuple(inferencer.model.dataset_meta['classes']) == classes
    assert len(inferencer.model.dataset_meta['palette']) == len(classes)


def test_usage_errors(toy_data, tmp_path, capsys):
    config, weights, image = _setup('seg', toy_data, tmp_path)
    capsys.readouterr()  # import warnings of the set-up
    cases = [
        ([str(tmp_path / 'absent.png'),
          str(config)], 'absent.png'),
        ([str(image), str(config), '--weights', 'absent.pth'], 'absent.pth'),
        ([str(image), str(tmp_path / 'nope.py')], 'does not exist'),
    ]
    if not torch.cuda.is_available():
        cases.append(([str(image), str(config), '--device',
                       'cuda'], '--device cpu'))
    for argv, message in cases:
        assert demo.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith('error: '), err
        assert message in err[0]
