"""Our classes resolve from the mmdet, mmseg and mmpretrain scopes."""
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.registry import init_default_scope

from hvt_mm.integration import mmpretrain_models_error
from hvt_mm.models.backbones import HVTBackbone
from hvt_mm.registry import MODELS

BACKBONES = sorted(name for name, cls in MODELS.module_dict.items()
                   if isinstance(cls, type) and issubclass(cls, HVTBackbone))


def _scope_registry(scope: str):
    if scope == 'mmdet':
        from mmdet.registry import MODELS as registry
    elif scope == 'mmseg':
        from mmseg.registry import MODELS as registry
    else:
        from mmpretrain.registry import MODELS as registry
    return registry


def test_all_families_registered():
    assert set(BACKBONES) >= {
        'FasterViT', 'EfficientViT', 'LightViT', 'FastViT'
    }


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
@pytest.mark.parametrize('prefix', ['', 'hvt_mm.'])
@pytest.mark.parametrize('name', BACKBONES)
def test_backbone_builds_in_scope(scope, prefix, name):
    registry = _scope_registry(scope)
    init_default_scope(scope)
    cls = registry.get(prefix + name)
    assert cls is MODELS.get(name)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg'])
def test_norm_layer_and_hook_resolve(scope):
    from mmengine.registry import (HOOKS, LOOPS, OPTIM_WRAPPER_CONSTRUCTORS,
                                   OPTIM_WRAPPERS)
    init_default_scope(scope)
    norm = _scope_registry(scope).build(dict(type='LN2d', normalized_shape=4))
    out = norm(torch.randn(2, 4, 3, 5))
    torch.testing.assert_close(
        out.mean(1), torch.zeros(2, 3, 5), atol=1e-5, rtol=0)
    for key in ('BenchmarkHook', 'hvt_mm.BenchmarkHook'):
        assert HOOKS.get(key).__name__ == 'BenchmarkHook'
    for key in ('LayerDecayOptimWrapperConstructor',
                'hvt_mm.LayerDecayOptimWrapperConstructor'):
        assert OPTIM_WRAPPER_CONSTRUCTORS.get(key) is not None
    for key in ('BF16AmpOptimWrapper', 'hvt_mm.BF16AmpOptimWrapper'):
        assert OPTIM_WRAPPERS.get(key).__name__ == 'BF16AmpOptimWrapper'
    for key in ('AmpTestLoop', 'hvt_mm.AmpTestLoop'):
        assert LOOPS.get(key).__name__ == 'AmpTestLoop'


def test_duplicate_registration_fails_loudly():
    from hvt_mm.registry import register_model

    with pytest.raises(KeyError, match='already registered'):

        @register_model
        class LN2d(torch.nn.Module):
            pass


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300)


@pytest.mark.slow
def test_custom_imports_in_unmodified_mmdet_config(tmp_path):
    """A stock mmdet config plus one custom_imports line builds FasterViT."""
    config = tmp_path / 'user_config.py'
    config.write_text(
        textwrap.dedent("""
        _base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
        custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)
        model = dict(
            backbone=dict(_delete_=True, type='FasterViT', arch='0'),
            neck=dict(in_channels=[64, 128, 256, 512]))
        """))
    result = _run(f"""
        import sys
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile({str(config)!r})
        assert 'hvt_mm' in sys.modules, 'custom_imports did not import hvt_mm'
        init_default_scope(cfg.default_scope)
        from mmdet.registry import MODELS
        model = MODELS.build(cfg.model)
        print(type(model.backbone).__module__, type(model.backbone).__name__)
        """)
    assert result.returncode == 0, result.stderr
    assert 'hvt_mm.models.backbones.fastervit FasterViT' in result.stdout


def test_mmpretrain_scope_degrades_quietly():
    error = mmpretrain_models_error()
    result = _run("""
        import warnings
        warnings.simplefilter('always')
        import hvt_mm
        from mmengine.registry import init_default_scope
        from mmpretrain.registry import MODELS
        init_default_scope('mmpretrain')
        print(MODELS.get('EfficientViT').__name__)
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'EfficientViT\n'  # mmengine logs to stdout
    if error is not None:  # the reason is there at debug level
        debug = _run("""
            from mmengine.logging import MMLogger
            MMLogger.get_instance('debug', log_level='DEBUG')
            import hvt_mm
            """)
        assert 'mmpretrain.models cannot be imported' in debug.stdout
        assert error in debug.stdout


#: Heavy modules ``import hvt_mm`` must not pull in (each costs seconds or
#: drags in optional dependencies): model zoos of mmdet/mmseg/mmpretrain,
#: the compiler, exporters, and our own tool-only packages.
HEAVY_MODULES = ('mmdet.models', 'mmseg.models', 'mmpretrain.models',
                 'torch._dynamo', 'torch._inductor', 'onnx', 'onnxruntime',
                 'torchvision', 'hvt_mm.analysis', 'hvt_mm.deployment',
                 'hvt_mm.datasets.toy', 'hvt_mm.cli')


def test_import_prints_nothing_and_loads_nothing_heavy():
    """Import cost measured by what gets imported, not by a wall clock
    (which flakes on a loaded machine)."""
    result = _run(f"""
        import sys
        import mmdet, mmseg
        import hvt_mm
        heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]
        print(heavy)
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '[]\n'  # the only line: nothing else printed


def test_seg_heads_register_when_mmseg_builds():
    result = _run("""
        import sys
        import hvt_mm
        assert 'mmseg.models' not in sys.modules
        from mmengine.registry import init_default_scope
        from mmseg.registry import MODELS
        init_default_scope('mmseg')
        print(MODELS.get('EfficientViTHead').__module__)
        print(hvt_mm.registry.MODELS.get('EfficientViTHead').__name__)
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        'hvt_mm.models.decode_heads.efficientvit_head', 'EfficientViTHead'
    ]
