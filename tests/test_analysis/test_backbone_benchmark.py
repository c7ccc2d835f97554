"""tools/analysis_tools/benchmark_backbones.py and
hvt_mm.analysis.backbone_benchmark on a dummy net."""
import json
import os.path as osp
import runpy
import textwrap
from unittest import mock

import pytest
import torch
import torch.nn as nn

import hvt_mm  # noqa: F401
from hvt_mm.registry import MODELS
from hvt_mm.analysis import backbone_benchmark
from hvt_mm.analysis.backbone_benchmark import (Case, markdown_table,
                                                parse_setting)
from hvt_mm.analysis.model_spec import build_from_spec, parse_model_spec

TOOL = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools',
    'analysis_tools', 'benchmark_backbones.py')


class DummyBenchNet(nn.Module):
    """Two convs; ``arch`` picks the width, like a real backbone table."""

    widths = {'s': 4, 'm': 8}

    def __init__(self, arch: str = 's', deploy: bool = False,
                 out_indices=(0, 1)) -> None:
        super().__init__()
        width = self.widths[arch]
        self.deploy, self.out_indices = deploy, out_indices
        self.conv1 = nn.Conv2d(3, width, 3, 2, 1)
        self.conv2 = nn.Conv2d(width, width, 3, 2, 1)

    def forward(self, x):
        x1 = self.conv1(x)
        return x1, self.conv2(x1)


def num_params(width: int) -> int:
    return width * 3 * 9 + width + width * width * 9 + width


@pytest.fixture
def dummy_registered():
    MODELS.register_module(module=DummyBenchNet, force=True)
    yield
    MODELS.module_dict.pop('DummyBenchNet')


def test_parse_model_spec():
    assert parse_model_spec('FastViT:sa12:deploy=True') == dict(
        type='FastViT', arch='sa12', deploy=True)
    assert parse_model_spec('FasterViT:0:with_cp=True,out_indices=(1, 2),'
                            'act=gelu') == dict(
                                type='FasterViT', arch='0', with_cp=True,
                                out_indices=(1, 2), act='gelu')
    assert parse_model_spec('LightViT') == dict(type='LightViT')
    with pytest.raises(ValueError, match='use key=value'):
        parse_model_spec('FastViT:sa12:deploy')


def test_build_from_spec(dummy_registered):
    model = build_from_spec('DummyBenchNet:m:deploy=True')
    assert model.deploy is True and model.conv1.out_channels == 8
    with pytest.raises(KeyError, match="Unknown model type 'NoSuchNet'"):
        build_from_spec('NoSuchNet:0')


def test_parse_setting():
    assert parse_setting('800x1333:1') == (800, 1333, 1)
    assert parse_setting('224:8') == (224, 224, 8)
    with pytest.raises(ValueError, match='use HxW:BATCH'):
        parse_setting('224x224x8')


def test_time_runs_with_fake_clock():
    ticks = iter([0.0, 2.0, 10.0, 13.0])
    calls = []
    seconds = backbone_benchmark.time_runs(
        lambda: calls.append(1), torch.device('cpu'), iters=4, repeats=2,
        clock=lambda: next(ticks))
    assert seconds == [2.0, 3.0]
    assert len(calls) == 2 * 4


def test_run_case_median_throughput(dummy_registered):
    case = Case('DummyBenchNet:s', 32, 48, 2, 'train', iters=3, repeats=3)
    with mock.patch.object(backbone_benchmark, 'time_runs',
                           return_value=[1.0, 4.0, 2.0]):
        record = backbone_benchmark.run_case(case)
    assert record['img_s_runs'] == [6.0, 1.5, 3.0]
    assert record['img_s'] == 3.0 and record['ms_per_img'] == 1000 / 3
    assert record['params_m'] == num_params(4) / 1e6
    assert record['peak_mem_mb'] is None  # CPU, not isolated
    assert record['error'] is None


def test_train_step_produces_and_drops_gradients():
    model = DummyBenchNet()
    step = backbone_benchmark.make_step(model, torch.randn(1, 3, 16, 16),
                                        'train')
    with mock.patch.object(model, 'zero_grad') as zero_grad:
        step()
    assert model.training
    assert all(p.grad is not None for p in model.parameters())
    zero_grad.assert_called_once_with(set_to_none=True)


def test_tool_quick_in_process(dummy_registered, tmp_path, capsys):
    main = runpy.run_path(TOOL)['main']
    rc = main([
        'DummyBenchNet:m', 'NoSuchNet:0', '--quick', '--no-isolation',
        '--out-dir',
        str(tmp_path)
    ])
    assert rc == 0
    results = json.loads((tmp_path / 'benchmark.json').read_text())
    records = results['results']
    assert [(r['spec'], r['height'], r['width'], r['batch'], r['mode'])
            for r in records] == [
                ('DummyBenchNet:m', 64, 64, 2, 'eval'),
                ('DummyBenchNet:m', 64, 64, 2, 'train'),
                ('DummyBenchNet:m', 65, 97, 1, 'eval'),
                ('DummyBenchNet:m', 65, 97, 1, 'train'),
                ('NoSuchNet:0', 64, 64, 2, 'eval'),
                ('NoSuchNet:0', 64, 64, 2, 'train'),
                ('NoSuchNet:0', 65, 97, 1, 'eval'),
                ('NoSuchNet:0', 65, 97, 1, 'train'),
            ]
    for r in records[:4]:
        assert r['error'] is None and r['img_s'] > 0
        assert len(r['img_s_runs']) == 3 and r['iters'] == 2
        assert r['params_m'] == num_params(8) / 1e6
    for r in records[4:]:
        assert "Unknown model type 'NoSuchNet'" in r['error']
    table = (tmp_path / 'benchmark.md').read_text()
    assert table.count('| DummyBenchNet:m |') == 4
    assert markdown_table(records) in capsys.readouterr().out


@pytest.mark.slow
def test_isolated_case_reports_cpu_peak_memory(tmp_path, monkeypatch):
    """A fresh process per case; its peak RSS growth covers activations."""
    (tmp_path / 'bench_dummy_mod.py').write_text(
        textwrap.dedent('''
        import torch.nn as nn
        from hvt_mm.registry import MODELS


        @MODELS.register_module(force=True)
        class DummyWideNet(nn.Module):

            def __init__(self, arch='0'):
                super().__init__()
                self.conv = nn.Conv2d(3, 64, 3, padding=1)

            def forward(self, x):
                return (self.conv(x), )
        '''))
    monkeypatch.setenv('PYTHONPATH', str(tmp_path))
    case = Case('DummyWideNet:0', 256, 256, 2, 'eval', warmup=1, iters=1,
                repeats=1)
    record = backbone_benchmark.run_case_isolated(case, ['bench_dummy_mod'])
    assert record['error'] is None
    assert record['mem_kind'] == 'cpu_peak_rss'
    # The 32 MiB conv output must be there; oneDNN may add a reorder copy.
    output_mb = 2 * 64 * 256 * 256 * 4 / 2**20
    assert output_mb * 0.9 <= record['peak_mem_mb'] <= output_mb * 3
