"""The wheel ships the configs, and get_config_path finds them."""
import os.path as osp
import subprocess
import sys
import zipfile

import pytest

import hvt_mm

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_get_config_path_from_checkout():
    path = hvt_mm.get_config_path('mask_rcnn_fastervit_2_coco.py')
    assert osp.samefile(
        path, osp.join(ROOT, 'configs', 'mask_rcnn_fastervit_2_coco.py'))
    with pytest.raises(FileNotFoundError, match='No shipped config'):
        hvt_mm.get_config_path('nope.py')


@pytest.mark.slow
def test_wheel_contains_package_and_configs(tmp_path):
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(tmp_path), ROOT
    ],
                   check=True,
                   capture_output=True,
                   timeout=300)
    wheel, = tmp_path.glob('hvt_mm-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    assert 'hvt_mm/models/backbones/fastervit.py' in names
    assert 'hvt_mm/configs/mask_rcnn_fastervit_2_coco.py' in names
    assert 'hvt_mm/configs/_base_/mask_rcnn_coco.py' in names
    assert not any(n.startswith(('tests/', 'tools/')) for n in names)


def test_declared_requirements_hold_for_the_tested_stack():
    """setup.py declares what CI tests: every requirement of the installed
    hvt_mm (core and the det/seg/cls extras) admits the installed
    version."""
    import platform
    from importlib.metadata import (PackageNotFoundError, metadata, requires,
                                    version)

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    python = SpecifierSet(metadata('hvt_mm')['Requires-Python'])
    assert python.contains(platform.python_version())
    checked = []
    for line in requires('hvt_mm'):
        req = Requirement(line)
        extra = req.marker and any(
            req.marker.evaluate({'extra': e}) for e in ('det', 'seg', 'cls'))
        if req.marker and not extra:
            continue
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            continue  # an extra this environment does not install
        assert req.specifier.contains(
            installed, prereleases=True), (
                f'{req.name} {installed} is installed but setup.py asks for '
                f'{req.specifier}')
        checked.append(req.name)
    assert {'torch', 'mmengine', 'mmcv', 'numpy', 'mmdet'} <= set(checked)
