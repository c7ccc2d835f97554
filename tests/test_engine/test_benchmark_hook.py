"""BenchmarkHook on mmengine's toy Runner with a fake clock.

The toy test set has 12 samples in batches of 3 (4 batches). The fake clock
advances 0.5 s inside every ``test_step``/``val_step`` call and 10 s inside
every ``evaluator.process``, so the exact expected throughput tells which
region each mode times.
"""
import glob
import json
import os.path as osp
from unittest import mock

import pytest
from mmengine.testing.runner_test_case import (RunnerTestCase, ToyMetric,
                                               ToyModel)

from hvt_mm.engine.hooks import BenchmarkHook
from hvt_mm.engine.hooks import benchmark_hook as hook_module

STEP_S, EVAL_S, BATCH = 0.5, 10.0, 3


class FakeClock:

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestBenchmarkHook(RunnerTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.clock = FakeClock()
        clock = self.clock
        test_step, val_step = ToyModel.test_step, ToyModel.val_step
        process = ToyMetric.process

        def slow_test_step(model, data):
            clock.now += STEP_S
            return test_step(model, data)

        def slow_val_step(model, data):
            clock.now += STEP_S
            return val_step(model, data)

        def slow_process(metric, data_batch, predictions):
            clock.now += EVAL_S
            return process(metric, data_batch, predictions)

        self.patches = [
            mock.patch.object(hook_module, 'perf_counter', clock),
            mock.patch.object(ToyModel, 'test_step', slow_test_step),
            mock.patch.object(ToyModel, 'val_step', slow_val_step),
            mock.patch.object(ToyMetric, 'process', slow_process),
        ]
        for patch in self.patches:
            patch.start()

    def tearDown(self) -> None:
        for patch in self.patches:
            patch.stop()
        super().tearDown()

    def _runner(self, **hook_kwargs):
        cfg = self.epoch_based_cfg.copy()
        cfg.custom_hooks = [dict(type='hvt_mm.BenchmarkHook', **hook_kwargs)]
        return self.build_runner(cfg)

    def _scalar(self, runner, key):
        return runner.message_hub.get_scalar(key).current()

    def test_model_mode_times_only_the_model(self):
        runner = self._runner(warmup_iters=1)
        runner.test()
        # 3 timed batches x 3 images in 3 x 0.5 s; evaluator excluded.
        fps = 3 * BATCH / (3 * STEP_S)
        assert self._scalar(runner, 'test/fps') == fps == 6.0
        assert self._scalar(runner, 'test/ms_per_img') == 1000.0 / fps
        assert 'test_step' not in vars(runner.model)  # restored

        # LoggerHook (runs after us) printed fps on the metrics line ...
        log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
        metrics_line = [
            line for line in log.splitlines() if 'Epoch(test) [4/4]' in line
        ][-1]
        assert 'acc: 1  ' in metrics_line
        assert 'fps: 6.0000' in metrics_line
        assert 'ms_per_img: 166.6667' in metrics_line
        # ... and our own line states the conditions.
        assert 'BenchmarkHook(test): 6.00 img/s' in log
        assert 'batch size 3' in log and 'precision=fp32' in log
        assert 'no hvt_mm backbone, eager' in log  # the model's form
        # The test path of mmengine forwards nothing to the visualizer; we do.
        scalars = [
            json.loads(line) for line in open(
                osp.join(runner.log_dir, 'vis_data', 'scalars.json'))
        ]
        assert scalars == [{
            'test/fps': 6.0,
            'test/ms_per_img': 1000.0 / 6.0,
            'step': 0
        }]
        # JSON log written by LoggerHook carries it too.
        dumped = json.loads(
            open(glob.glob(osp.join(runner.log_dir, '*.json'))[0]).read())
        assert dumped['fps'] == 6.0

    def test_iter_mode_includes_evaluator(self):
        runner = self._runner(warmup_iters=1, mode='iter')
        runner.test()
        expected = 3 * BATCH / (3 * (STEP_S + EVAL_S))
        assert self._scalar(runner, 'test/fps') == pytest.approx(
            expected, rel=1e-12)
        assert 'test_step' not in vars(runner.model)

    def test_val_publishes_val_fps(self):
        runner = self._runner(warmup_iters=2)
        runner.val()
        # 2 timed batches x 3 images in 1 s.
        assert self._scalar(runner, 'val/fps') == 6.0
        assert 'val_step' not in vars(runner.model)
        assert 'test/fps' not in runner.message_hub.log_scalars

    def test_no_warmup_counts_every_batch(self):
        runner = self._runner(warmup_iters=0)
        runner.test()
        assert self._scalar(runner, 'test/fps') == 12 / (4 * STEP_S)

    def test_warmup_longer_than_loop_publishes_nothing(self):
        runner = self._runner(warmup_iters=4)
        runner.test()
        assert 'test/fps' not in runner.message_hub.log_scalars
        log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
        assert 'no test batch was timed' in log

    def test_distributed_sums_images_and_takes_slowest_rank(self):
        other_rank_seconds = 4.5

        def fake_all_reduce(tensor, op):
            if op == 'sum':
                tensor.mul_(2)  # the other rank saw as many images
            else:
                assert op == 'max'
                tensor.clamp_(min=other_rank_seconds)

        runner = self._runner(warmup_iters=1)
        with mock.patch.object(hook_module, 'get_world_size', lambda: 2), \
                mock.patch.object(hook_module, 'all_reduce',
                                  fake_all_reduce):
            runner.test()
        assert self._scalar(runner, 'test/fps') == 18 / other_rank_seconds


@pytest.mark.parametrize('kwargs, match', [
    (dict(mode='epoch'), "mode must be one of"),
    (dict(warmup_iters=-1), 'warmup_iters must be an int >= 0'),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BenchmarkHook(**kwargs)


def test_registered_in_both_scopes():
    from mmengine.registry import HOOKS
    assert HOOKS.get('BenchmarkHook') is BenchmarkHook
    assert HOOKS.get('hvt_mm.BenchmarkHook') is BenchmarkHook
    assert BenchmarkHook.priority == 'NORMAL'
