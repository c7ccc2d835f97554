"""hvt_mm.analysis.backbone_benchmark on a dummy net."""
import textwrap
from unittest import mock

import pytest
import torch

from hvt_mm.analysis import backbone_benchmark, timing
from hvt_mm.analysis.backbone_benchmark import Case
from tests.dummy_bench_net import DummyBenchNet, dummy_registered, num_params


def test_run_case_median_throughput():
    case = Case('DummyBenchNet:s', 32, 48, 2, 'train', iters=3, repeats=3)
    # run_case times through timing.measure_step.
    with dummy_registered(), mock.patch.object(
            timing, 'time_runs', return_value=[1.0, 4.0, 2.0]):
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


def test_bf16_step_runs_the_model_under_autocast():
    seen = []
    model = DummyBenchNet()
    model.register_forward_hook(lambda module, args, out: seen.append(
        (torch.get_autocast_dtype('cpu'), torch.is_autocast_enabled('cpu'))))
    x = torch.randn(1, 3, 16, 16)
    backbone_benchmark.make_step(model, x, 'eval', 'bf16')()
    backbone_benchmark.make_step(model, x, 'eval')()
    assert seen == [(torch.bfloat16, True), (seen[1][0], False)]
    with pytest.raises(ValueError, match='precision must be one of'):
        backbone_benchmark.make_step(model, x, 'eval', 'int8')


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
    monkeypatch.syspath_prepend(str(tmp_path))  # the child gets sys.path
    case = Case(
        'DummyWideNet:0', 256, 256, 2, 'eval', warmup=1, iters=1, repeats=1)
    record = backbone_benchmark.measure_case(case, imports=['bench_dummy_mod'])
    assert record['error'] is None
    assert record['mem_kind'] == 'cpu_peak_rss'
    # The 32 MiB conv output must be there; oneDNN may add a reorder copy.
    output_mb = 2 * 64 * 256 * 256 * 4 / 2**20
    assert output_mb * 0.9 <= record['peak_mem_mb'] <= output_mb * 3
