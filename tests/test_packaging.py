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
