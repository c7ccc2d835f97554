"""tools/analysis_tools/get_flops.py on mmseg/mmdet configs."""
import json
import os.path as osp
import runpy

import pytest
import torch

from hvt_mm.analysis.flops import count_flops, count_model_flops

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'get_flops.py')


@pytest.mark.slow
def test_get_flops_tool_on_segmentor_config(tmp_path):
    pytest.importorskip('mmseg')
    config = tmp_path / 'fpn_r18.py'
    config.write_text(
        "_base_ = 'mmseg::_base_/models/fpn_r50.py'\n"
        "norm_cfg = dict(type='BN', requires_grad=True)\n"
        'model = dict(pretrained=None, data_preprocessor=dict(size=(64, 64)),'
        ' backbone=dict(depth=18, norm_cfg=norm_cfg, init_cfg=None),'
        ' neck=dict(in_channels=[64, 128, 256, 512]),'
        ' decode_head=dict(norm_cfg=norm_cfg, num_classes=4))\n')
    out = tmp_path / 'flops.json'
    get_flops = runpy.run_path(TOOL)
    assert get_flops['main'](
        [str(config), '--shape', '64', '96', '--out',
         str(out)]) == 0
    report = json.loads(out.read_text())
    assert report['input_shape'] == [1, 3, 64, 96]
    modules = report['by_module']
    assert report['flops'] == modules[''] == sum(
        report['by_operator'].values())
    # jit scopes attribute a few decode-head resizes to the top level only
    assert 0 < modules['backbone'] + modules['neck'] + \
        modules['decode_head'] <= modules['']
    assert min(modules['neck'], modules['decode_head']) > 0
    # The backbone share equals counting the bare backbone on its own.
    model = get_flops['build_from_config'](str(config))
    bare = count_flops(model.backbone, (torch.randn(1, 3, 64, 96), ))
    assert modules['backbone'] == bare.flops > 0


def test_get_flops_tool_bad_config(capsys):
    assert runpy.run_path(TOOL)['main'](['no/such/config.py']) == 2
    assert "config file 'no/such/config.py' does not exist" in \
        capsys.readouterr().err


@pytest.mark.slow
def test_get_flops_tool_on_detector_config():
    """Detectors get synthetic image metainfo; RPN and RoI heads count."""
    pytest.importorskip('mmdet')
    config = osp.join(ROOT, 'configs', '_base_', 'mask_rcnn_coco.py')
    get_flops = runpy.run_path(TOOL)
    options = {
        'model.backbone.depth': 18,
        'model.neck.in_channels': [64, 128, 256, 512]
    }
    model = get_flops['build_from_config'](config, options)
    report = count_model_flops(model, (64, 96), max_depth=1)
    assert report.input_shape == (1, 3, 64, 96)
    modules = report.by_module
    assert min(modules['rpn_head'], modules['roi_head']) > 0
    bare = count_flops(model.backbone, (torch.randn(1, 3, 64, 96), ))
    assert modules['backbone'] == bare.flops > 0
