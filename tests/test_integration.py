"""What ``import hvt_mm`` changes outside hvt_mm (hvt_mm/integration.py):
each change listed, feature-detected, never fatal, and the optional ones
switchable off. Every case runs in a fresh interpreter, since the changes
are process-wide."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code: str, **env) -> str:
    result = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, **env),
        timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_change_is_listed_and_took_effect():
    out = _run("""
        import hvt_mm
        from hvt_mm.integration import installed, mmpretrain_models_error
        degraded = mmpretrain_models_error() not in (
            None, 'mmpretrain is not installed')
        print(('mmpretrain_scope' in installed()) == degraded)
        from mmengine.fileio.backends.registry_utils import backends
        from mmengine.runner.checkpoint import CheckpointLoader
        from mmseg.registry import MODELS
        from hvt_mm.checkpoint import LOADERS, AtomicLocalBackend
        print(sorted(set(installed()) - {'mmpretrain_scope'}))
        print(all(CheckpointLoader._schemes[p] is LOADERS[p] for p in LOADERS))
        print(backends['local'] is AtomicLocalBackend)
        print('hvt_mm.models.decode_heads' in MODELS._locations)
        """)
    assert out.split('\n')[:5] == [
        'True', "['atomic_local_backend', 'file_loaders', 'lazy_seg_models', "
        "'safe_globals', 'url_loaders']", 'True', 'True', 'True'
    ]


def test_unknown_mmengine_scheme_is_left_alone():
    """A newer mmengine with a scheme we do not know: the import works and
    that scheme keeps mmengine's reader."""
    out = _run("""
        from mmengine.runner.checkpoint import CheckpointLoader

        def fake_loader(filename, map_location=None):
            return {}

        CheckpointLoader.register_scheme('fake://', fake_loader)
        import hvt_mm
        print(CheckpointLoader._schemes['fake://'] is fake_loader)
        print(CheckpointLoader._schemes['https://'].__module__)
        """)
    assert out.split() == ['True', 'hvt_mm.checkpoint.schemes']


def test_a_failing_change_never_fails_the_import():
    """An mmengine whose backend registration raises: the import works,
    that change is skipped and the others are made."""
    out = _run("""
        import mmengine.fileio.backends as backends

        def broken(*args, **kwargs):
            raise TypeError('register_backend() changed')

        backends.register_backend = broken
        from hvt_mm.integration import installed
        print(sorted(set(installed()) - {'mmpretrain_scope'}))
        """)
    assert out.strip() == ("['file_loaders', 'lazy_seg_models', "
                           "'safe_globals', 'url_loaders']")


def test_optional_changes_off_by_environment_keep_essential_ones():
    out = _run(
        """
        import hvt_mm
        from hvt_mm.integration import installed
        from mmengine.fileio.backends import LocalBackend
        from mmengine.fileio.backends.registry_utils import backends
        from mmengine.runner.checkpoint import CheckpointLoader
        from mmseg.registry import MODELS
        print(sorted(set(installed()) - {'mmpretrain_scope'}))
        print(CheckpointLoader._schemes[''].__module__)
        print(CheckpointLoader._schemes['https://'].__module__)
        print(backends['local'] is LocalBackend)
        print('hvt_mm.models.decode_heads' in MODELS._locations)
        """,
        HVT_MM_OPTIONAL_INTEGRATION='0')
    assert out.split('\n')[:5] == [
        "['safe_globals', 'url_loaders']", 'mmengine.runner.checkpoint',
        'hvt_mm.checkpoint.schemes', 'True', 'False'
    ]


def test_restore_optional_undoes_them():
    out = _run("""
        import hvt_mm
        from hvt_mm.integration import installed
        from mmengine.fileio.backends import LocalBackend
        from mmengine.fileio.backends.registry_utils import backends
        from mmengine.runner.checkpoint import CheckpointLoader
        from mmseg.registry import MODELS
        hvt_mm.integration.restore_optional()
        print(sorted(set(installed()) - {'mmpretrain_scope'}))
        print(CheckpointLoader._schemes[''].__module__)
        print(backends['local'] is LocalBackend)
        print('hvt_mm.models.decode_heads' in MODELS._locations)
        """)
    assert out.split('\n')[:4] == [
        "['safe_globals', 'url_loaders']", 'mmengine.runner.checkpoint',
        'True', 'False'
    ]
