"""tools/analysis_tools/benchmark_segmentor.py: configs, sizes, errors."""
import json
import math
import os.path as osp

import pytest
import torch

from hvt_mm.analysis.pipeline_benchmark import segmentor_table
from tests.tool_loader import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_B0 = osp.join(ROOT, 'configs', 'efficientvit_seg_b0_cityscapes.py')

tool = load_tool('tools/analysis_tools/benchmark_segmentor.py')


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    # --threads sets a process-wide torch setting; later tests keep theirs.
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith('error: ')
    return err[0]


def test_quick_run_in_process(tmp_path, capsys):
    out_dir = tmp_path / 'bench'
    assert tool.main(
        [SEG_B0, '--quick', '--threads', '1', '--out-dir',
         str(out_dir)]) == 0
    stdout = capsys.readouterr().out
    with open(out_dir / 'benchmark_segmentor.json') as f:
        report = json.load(f)
    rows = report['results']
    assert [(r['height'], r['width']) for r in rows] == [(64, 64), (128, 128)]
    for r in rows:
        assert r['error'] is None
        assert r['img_s'] > 0
        assert (r['model'], r['scope']) == ('EncoderDecoder', 'mmseg')
        assert (r['warmup'], r['iters'], r['repeats']) == (1, 1, 1)
    expected = math.log(rows[0]['img_s'] / rows[1]['img_s']) / math.log(4)
    assert rows[1]['exponent_vs_smallest'] == pytest.approx(expected)
    assert report['scaling'] == [
        dict(
            config='efficientvit_seg_b0_cityscapes',
            smallest='64x64',
            largest='128x128',
            exponent=rows[1]['exponent_vs_smallest'])
    ]
    md = (out_dir / 'benchmark_segmentor.md').read_text()
    assert segmentor_table(rows) in md
    assert segmentor_table(rows) in stdout


def test_fuse_conv_bn_folds_batchnorm(tmp_path):
    assert tool.main([
        SEG_B0, '--quick', '--sizes', '32x48', '--threads', '1',
        '--fuse-conv-bn', '--out-dir',
        str(tmp_path)
    ]) == 0
    with open(tmp_path / 'benchmark_segmentor.json') as f:
        report = json.load(f)
    row, = report['results']
    assert row['fuse_conv_bn'] and row['fused_bn'] > 0
    assert row['img_s'] > 0 and row['error'] is None
    assert report['scaling'] == []  # one size: no exponent


def test_unknown_config_path(capsys):
    assert tool.main(['configs/nope.py', '--quick']) == 2
    assert 'does not exist' in _one_error_line(capsys)


@pytest.mark.parametrize('size', ['512x', '0x512', '512x512x3'])
def test_malformed_size(capsys, size):
    assert tool.main([SEG_B0, '--sizes', '64x64', size]) == 2
    line = _one_error_line(capsys)
    assert repr(size) in line and 'use HxW' in line


def test_bad_counts(capsys):
    assert tool.main([SEG_B0, '--quick', '--iters', '0']) == 2
    assert '--iters and --repeats must be >= 1' in _one_error_line(capsys)
    assert tool.main([SEG_B0, '--quick', '--batch', '0']) == 2
    assert '--batch must be >= 1' in _one_error_line(capsys)


@pytest.mark.slow
def test_detector_config(tmp_path):
    # mmdet's tensor mode needs image metainfo for the RPN proposals.
    config = osp.join(ROOT, 'configs', 'mask_rcnn_efficientvit_b1_coco.py')
    assert tool.main([
        config, '--quick', '--sizes', '32x32', '64x32', '--threads', '1',
        '--out-dir',
        str(tmp_path)
    ]) == 0
    with open(tmp_path / 'benchmark_segmentor.json') as f:
        report = json.load(f)
    for row in report['results']:
        assert (row['model'], row['scope']) == ('MaskRCNN', 'mmdet')
        assert row['error'] is None and row['img_s'] > 0
    assert report['scaling'][0]['largest'] == '64x32'
