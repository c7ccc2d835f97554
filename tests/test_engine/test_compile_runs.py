"""Compiled test and training runs through tools/test.py and tools/train.py
on toy data, and inductor outputs against eager.

Counting compilations needs dynamo only, not a code generator, so the run
tests use the ``eager``/``aot_eager`` backends (seconds instead of minutes
on CPU); one test compiles with inductor and compares the outputs.
"""
import glob

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from hvt_mm.analysis.model_builder import build_model_from_config
from hvt_mm.datasets.toy import make_coco
from hvt_mm.engine.compile import (CompileSettings, compile_model,
                                   compiled_graph_count)
from tests.backbone_families import FASTERVIT, FASTVIT
from tests.tool_loader import load_tool
from tests.toy_configs import toy_det_cfg, toy_seg_cfg

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures('single_thread')]
TINY_FASTERVIT = dict(
    type='FasterViT',
    arch=FASTERVIT.cases[0].arch,
    out_norm_cfg=dict(type='BN'),
    drop_path_rate=0.)
#: Modules that see whole images (one compilation per size bucket).
IMAGE_MODULES = ('backbone', 'neck', 'rpn_head')


@HOOKS.register_module(force=True)
class HvtRecordSizes(Hook):
    """Records unpadded image sizes and the batch shapes the backbone
    gets."""
    raw, padded = [], []

    def before_run(self, runner) -> None:
        runner.model.backbone.register_forward_pre_hook(
            lambda module, args: self.padded.append(tuple(args[0].shape)))

    def before_test_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.raw.append(tuple(data_batch['inputs'][0].shape[-2:]))


def _checkpoint(cfg, path) -> str:
    model, _ = build_model_from_config(cfg)
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def test_coco_style_test_run_compiles_once_per_size_bucket(tmp_path):
    """12 images resized to random aspect ratios (as keep-ratio resizing of
    real images gives many sizes): the batches are padded to multiples of
    128, and each image-sized module compiles once per bucket."""
    make_coco(tmp_path, seed=0, num_train=1, num_val=12)
    cfg = toy_det_cfg(tmp_path, tmp_path / 'work', TINY_FASTERVIT)
    pipeline = [s for s in cfg.test_pipeline if s['type'] != 'Resize']
    pipeline.insert(
        1,
        dict(
            type='RandomResize',
            scale=[(80, 80), (240, 240)],
            keep_ratio=False))
    cfg.test_dataloader.update(batch_size=1)
    cfg.test_dataloader.dataset.pipeline = pipeline
    cfg.custom_hooks = [dict(type='HvtRecordSizes')]
    cfg.compile = dict(backend='eager', pad_size_divisor=128)
    config = tmp_path / 'cfg.py'
    cfg.dump(config)
    HvtRecordSizes.raw.clear()
    HvtRecordSizes.padded.clear()
    start = compiled_graph_count()
    code = load_tool('tools/test.py').main([
        str(config),
        _checkpoint(cfg, tmp_path / 'w.pth'), '--work-dir',
        str(tmp_path / 'work')
    ])
    graphs = compiled_graph_count() - start
    assert code == 0
    raw, padded = set(HvtRecordSizes.raw), set(HvtRecordSizes.padded)
    assert len(HvtRecordSizes.raw) == 12
    assert len(raw) >= 10  # sizes really vary
    assert all(h % 128 == 0 and w % 128 == 0 for _, _, h, w in padded)
    assert 2 <= len(padded) <= 4  # sides of 128 or 256
    # Image-sized modules: exactly one graph per bucket; the two RoI heads:
    # one graph each, a second (dynamic in the RoI count) at most, plus
    # one for a single RoI (sizes 0/1 are always specialised).
    image_graphs = len(IMAGE_MODULES) * len(padded)
    assert image_graphs + 2 <= graphs <= image_graphs + 6
    assert graphs < len(IMAGE_MODULES) * len(raw)


def test_compiled_training_from_the_tool(tmp_path, toy_data):
    """tools/train.py --compile trains (gradients flow through the compiled
    backbone, neck and heads; aot_eager runs the same autograd graphs as
    inductor without generating code)."""
    cfg = toy_det_cfg(toy_data, tmp_path, TINY_FASTERVIT, size=64)
    cfg.compile = dict(backend='aot_eager')
    cfg.load_from = _checkpoint(cfg, tmp_path / 'initial.pth')
    config = tmp_path / 'cfg.py'
    cfg.dump(config)
    start = compiled_graph_count()
    code = load_tool('tools/train.py').main(
        [str(config), '--compile', '--work-dir',
         str(tmp_path)])
    assert code == 0
    assert compiled_graph_count() > start
    log = ''.join(
        open(p).read() for p in glob.glob(str(tmp_path / '*' / '*.log')))
    assert 'CompileHook: compiling backbone, neck, rpn_head' in log
    assert 'CompileHook(train):' in log
    initial = torch.load(tmp_path / 'initial.pth')['state_dict']
    trained = torch.load(
        tmp_path / 'iter_2.pth', weights_only=False)['state_dict']
    changed = [
        k for k, v in initial.items() if k.startswith('backbone.')
        and v.is_floating_point() and not torch.equal(v, trained[k])
    ]
    assert changed  # the compiled backbone received gradients


def test_inductor_matches_eager_segmentor(tmp_path, toy_data):
    """Inductor on CPU: backbone, neck-less UperNet head compiled; logits
    equal eager within 1e-4, in the training and the inference form."""
    cfg = toy_seg_cfg(
        toy_data,
        tmp_path,
        dict(type='FastViT', arch=FASTVIT.cases[0].arch),
        size=64)
    model, _ = build_model_from_config(cfg)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        eager = model(x, mode='tensor')
        model.backbone.switch_to_deploy()
        eager_deploy = model(x, mode='tensor')
        assert compile_model(model, CompileSettings()) == [
            'backbone', 'decode_head', 'auxiliary_head'
        ]
        compiled = model(x, mode='tensor')
    torch.testing.assert_close(compiled, eager_deploy, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-4)
