"""Compile settings, targets, size buckets and the ``--compile`` flag
(no compilation here; see test_compile_runs.py for compiled runs)."""
import argparse
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from hvt_mm.analysis.model_builder import build_model_from_config
from hvt_mm.cli.launch import UsageError, add_common_args, prepare_config
from hvt_mm.engine.compile import (CompileSettings, bucket_count,
                                   compile_model, configure_compile,
                                   is_compiled_forward, set_pad_size_divisor,
                                   uncompile_model)
from hvt_mm.models.inference_form import is_compiled

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET = osp.join(ROOT, 'configs', 'demo_mask_rcnn_fastervit_0_toy_coco.py')
CASCADE = osp.join(ROOT, 'configs', 'cascade_mask_rcnn_fastvit_sa12_coco.py')
SEG = osp.join(ROOT, 'configs', 'upernet_fastvit_sa12_ade20k.py')


def _model(path):
    return build_model_from_config(Config.fromfile(path))[0]


def test_settings_from_config_values():
    assert CompileSettings.from_cfg(None) is None
    assert CompileSettings.from_cfg(False) is None
    assert CompileSettings.from_cfg(True) == CompileSettings()
    settings = CompileSettings.from_cfg(dict(neck=False, backend='eager'))
    assert (settings.backbone, settings.neck, settings.head) == (True, False,
                                                                 True)
    assert settings.backend == 'eager' and settings.dynamic is False
    with pytest.raises(ValueError, match=r"\['heads'\].*valid"):
        CompileSettings.from_cfg(dict(heads=True))
    with pytest.raises(ValueError, match='pad_size_divisor'):
        CompileSettings.from_cfg(dict(pad_size_divisor=0))
    with pytest.raises(ValueError, match='mode or options'):
        CompileSettings.from_cfg(dict(mode='max-autotune', options={}))
    with pytest.raises(ValueError, match='True, False or a dict'):
        CompileSettings.from_cfg('yes')


def test_config_entry_becomes_a_hook():
    """mmengine's Runner.train() would compile the whole train_step with
    cfg.compile: the entry moves into a CompileHook and is cleared."""
    cfg = Config(
        dict(
            compile=dict(neck=False, pad_size_divisor=64),
            custom_hooks=[dict(type='hvt_mm.BenchmarkHook')]))
    settings = configure_compile(cfg)
    assert cfg.compile is None and settings.neck is False
    hooks = cfg.custom_hooks
    assert hooks[0] == dict(type='hvt_mm.BenchmarkHook')
    assert hooks[1]['type'] == 'hvt_mm.CompileHook'
    assert hooks[1]['neck'] is False and hooks[1]['pad_size_divisor'] == 64
    # A second call (or a config that already has the hook) keeps one.
    cfg.compile = True
    configure_compile(cfg)
    assert [h['type']
            for h in cfg.custom_hooks].count('hvt_mm.CompileHook') == 1
    assert cfg.custom_hooks[1]['neck'] is True
    # No entry and no flag: nothing changes.
    plain = Config(dict(custom_hooks=[]))
    assert configure_compile(plain) is None
    assert plain.custom_hooks == [] and plain.compile is None
    # The flag alone means the defaults.
    assert configure_compile(plain, enable=True) == CompileSettings()


def test_tools_flag_and_bad_entry(tmp_path):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--work-dir')
    add_common_args(parser)
    cfg = prepare_config(
        parser.parse_args([DET, '--compile', '--work-dir',
                           str(tmp_path)]))
    assert cfg.compile is None
    assert cfg.custom_hooks[-1]['type'] == 'hvt_mm.CompileHook'
    bad = tmp_path / 'bad.py'
    bad.write_text(f'_base_ = {DET!r}\ncompile = dict(neck=True, nek=1)\n')
    with pytest.raises(
            UsageError, match=r"Unknown compile option\(s\) "
            r"\['nek'\]"):
        prepare_config(parser.parse_args([str(bad)]))


def test_targets_detector_cascade_segmentor():
    everything = CompileSettings(backend='eager')
    det = _model(DET)
    assert compile_model(det, everything) == [
        'backbone', 'neck', 'rpn_head', 'roi_head.bbox_head',
        'roi_head.mask_head'
    ]
    assert is_compiled(det) and is_compiled_forward(det.backbone)
    assert not is_compiled_forward(det)  # the detector's Python stays
    assert compile_model(det, everything) == []  # already compiled
    assert uncompile_model(det) == 5 and not is_compiled(det)

    cascade = _model(CASCADE)
    names = compile_model(cascade, CompileSettings(backbone=False, neck=False))
    assert names == ['rpn_head'] + [
        f'roi_head.{head}.{i}' for head in ('bbox_head', 'mask_head')
        for i in range(3)
    ]
    seg = _model(SEG)
    keys = list(seg.state_dict())
    assert compile_model(seg, CompileSettings(neck=False)) == [
        'backbone', 'decode_head', 'auxiliary_head'
    ]
    # In place: same parameters under the same names (checkpoints load).
    assert list(seg.state_dict()) == keys


def test_compiled_forward_runs_for_direct_forward_calls():
    """mmseg heads call ``self.forward`` directly, not ``self(...)``: the
    compiled function must be what both reach."""
    seen = []

    def backend(graph_module, example_inputs):
        seen.append(len(example_inputs))
        return graph_module.forward

    module = torch.nn.Linear(4, 2)
    compile_model(
        torch.nn.ModuleDict(dict(decode_head=module)).eval(),
        CompileSettings(backbone=False, neck=False, backend=backend))
    x = torch.randn(3, 4)
    torch.testing.assert_close(
        module.forward(x), x @ module.weight.T + module.bias)
    assert len(seen) == 1
    module(x)
    assert len(seen) == 1  # same shapes: the compiled graph is reused


def test_pad_size_divisor_buckets():
    det = _model(DET)
    assert det.data_preprocessor.pad_size_divisor == 32
    assert set_pad_size_divisor(det, 'auto') == 160
    assert det.data_preprocessor.pad_size_divisor == 160
    assert set_pad_size_divisor(det, 48) == math.lcm(160, 48)
    seg = _model(SEG)
    assert set_pad_size_divisor(seg, None) is None
    assert set_pad_size_divisor(seg, 'auto') == 128
    assert seg.data_preprocessor.test_cfg == dict(size_divisor=128)
    seg.data_preprocessor.test_cfg = dict(size=(512, 512))
    assert set_pad_size_divisor(seg, 64) is None  # one size already


def test_bucket_count_bounds_compilations():
    # COCO 1333x800 keep-ratio: long side at most 1333, one side at its
    # limit; 160 -> short side exactly 5 buckets high.
    assert bucket_count((1333, 800), 160) == 17
    assert bucket_count((1333, 800), 224) == 11
    assert bucket_count((800, 1333), 160) == 17  # order does not matter
    # Square scale: one side always at the limit.
    assert bucket_count((256, 256), 128) == 3  # 2x2, 1x2, 2x1
    assert bucket_count((2048, 512), 128) == 31


def test_hook_compiles_inside_test_time_augmentation_wrappers():
    from unittest import mock

    from hvt_mm.engine.hooks import CompileHook

    class Wrapper(torch.nn.Module):  # as mmengine's BaseTTAModel

        def __init__(self, module):
            super().__init__()
            self.module = module

    inner = torch.nn.ModuleDict(dict(backbone=torch.nn.Linear(2, 2)))
    runner = mock.Mock(model=Wrapper(inner))
    CompileHook(backend='eager').before_run(runner)
    assert is_compiled_forward(inner.backbone)
    message = runner.logger.info.call_args[0][0]
    assert message.startswith('CompileHook: compiling backbone (')
