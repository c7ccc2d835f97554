"""Packaging for hvt_mm: hybrid CNN-ViT backbones for OpenMMLab 3.x."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    with open(osp.join(HERE, 'hvt_mm', 'version.py'), encoding='utf-8') as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


setup(
    name='hvt_mm',
    version=read_version(),
    description='FasterViT, EfficientViT, LightViT and FastViT backbones '
    'for MMDetection and MMSegmentation',
    long_description=open(osp.join(HERE, 'README.md'),
                          encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    # What CI tests (scripts/bootstrap.sh pins the exact versions): Python
    # 3.11, torch 2.13, mmengine 0.10.7, mmcv 2.1.0, mmdet 3.3.0, mmseg
    # 1.2.2, mmpretrain 1.2.0, NumPy 2. Lower bounds are the oldest releases
    # the code can run on (torch.serialization.add_safe_globals and
    # weights-only torch.load by default: torch 2.6; numpy._core: NumPy 2).
    python_requires='>=3.11',
    # configs/ ships inside the package as hvt_mm/configs (see
    # hvt_mm.get_config_path) so pip-installed users get the recipes too.
    packages=find_packages(include=['hvt_mm', 'hvt_mm.*']) +
    ['hvt_mm.configs', 'hvt_mm.configs._base_'],
    package_dir={'hvt_mm.configs': 'configs'},
    package_data={'hvt_mm.configs': ['*.py', '_base_/*.py']},
    install_requires=[
        'torch>=2.6',
        'mmengine>=0.10.7,<0.11',
        'mmcv>=2.1.0,<2.2.0',
        'numpy>=2',
        'setuptools>=77,<80',
    ],
    extras_require={
        'det': ['mmdet>=3.3.0,<3.4.0', 'pycocotools'],
        'seg': ['mmsegmentation>=1.2.2,<1.3.0', 'ftfy', 'regex'],
        'cls': ['mmpretrain>=1.2.0,<1.3.0'],
        'tests': ['pytest'],
        # ONNX export (tools/deployment/pytorch2onnx.py); tests use them.
        'export': ['onnx==1.23.2', 'onnxruntime==1.32.0', 'onnxscript==0.7.2'],
        'lint': ['flake8==7.1.1', 'isort==5.13.2', 'yapf==0.43.0'],
        # Whole-model deployment (tools/deployment/deploy.py): what mmdeploy
        # 1.3.1 imports, and OpenVINO. mmdeploy itself pins
        # protobuf<=3.20.2, which onnx
        # rejects: install it with `pip install --no-deps mmdeploy==1.3.1`
        # (scripts/bootstrap.sh does).
        'deploy': [
            'onnx==1.23.2', 'onnxruntime==1.32.0', 'aenum', 'multiprocess',
            'grpcio', 'prettytable', 'terminaltables', 'openvino==2026.4.1'
        ],
    },
    zip_safe=False,
)
