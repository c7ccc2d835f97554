"""Dataset checks (hvt_mm.cli.data_check) accept well-formed data."""
import json

import pytest

from hvt_mm.cli.data_check import check_data, coco_format_problem
from hvt_mm.cli.launch import load_config
from tests.tool_loader import ROOT

CONFIGS = {
    'toy_coco': ('configs/demo_mask_rcnn_fastervit_0_toy_coco.py', ''),
    'toy_ade': ('configs/upernet_lightvit_t_ade20k.py', ''),
    'toy_cityscapes': ('configs/efficientvit_seg_b0_cityscapes.py', ''),
}


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_well_formed_toy_data_passes(toy_data, name):
    config, _ = CONFIGS[name]
    root = f'{toy_data}/{name}/'
    cfg = load_config(
        f'{ROOT}/{config}', {
            'train_dataloader.dataset.data_root': root,
            'val_dataloader.dataset.data_root': root
        })
    check_data(cfg, ['train_dataloader', 'val_dataloader'])


@pytest.mark.parametrize('content,problem', [
    ('', 'the file is empty'),
    ('  [1, 2]', 'it is not a JSON object'),
    ('{"images": []}', "it has no 'categories' list"),
    ('{"annotations": []}', "it has no 'images' or 'categories' list"),
])
def test_coco_format_problems(tmp_path, content, problem):
    path = tmp_path / 'a.json'
    path.write_text(content)
    assert coco_format_problem(str(path)).startswith(problem)


def test_coco_image_info_file_without_annotations_is_fine(tmp_path):
    # COCO test-dev ships image_info_test-dev2017.json: no "annotations".
    path = tmp_path / 'image_info.json'
    path.write_text(json.dumps({'images': [], 'categories': []}))
    assert coco_format_problem(str(path)) is None
