"""The models of ``tools/analysis_tools/benchmark_suite.py``: hvt_mm
backbones from their shipped configs and mmdet/mmseg baselines placed in the
same Mask R-CNN (``configs/_base_/mask_rcnn_coco.py``) and the same UperNet
(``configs/_base_/upernet_ade20k.py``).
"""
import argparse
import copy
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from ..configs_path import get_config_path

TASKS = ('det', 'seg')


@dataclass
class SuiteModel:
    """One row group of the suite.

    Attributes:
        name: Display name (``FasterViT-0``).
        family: hvt_mm family, or ``'baseline'``.
        configs: Task -> config (``det``: Mask R-CNN, ``seg``: UperNet), a
            file path or the name of a shipped config.
        backbones: Task -> backbone dict replacing the config's (baselines),
            with ``channels`` the widths the neck/heads get.
        original: Name in ``benchmark_originals.py`` of the original
            implementation of this backbone, if one installs from PyPI.
    """
    name: str
    family: str
    configs: Dict[str, str]
    backbones: Dict[str, dict] = field(default_factory=dict)
    channels: Optional[List[int]] = None
    original: Optional[str] = None


def _ours(name: str,
          family: str,
          key: str,
          original: Optional[str] = None) -> SuiteModel:
    return SuiteModel(
        name,
        family,
        dict(det=f'mask_rcnn_{key}_coco.py', seg=f'upernet_{key}_ade20k.py'),
        original=original)


def _baseline(name: str, det: dict, seg: dict,
              channels: List[int]) -> SuiteModel:
    return SuiteModel(
        name,
        'baseline',
        dict(det='_base_/mask_rcnn_coco.py', seg='_base_/upernet_ade20k.py'),
        backbones=dict(det=det, seg=seg),
        channels=channels)


def _swin(scope: str, depths: List[int], drop_path_rate: float) -> dict:
    """mmdet's / mmseg's Swin as their Swin configs build it."""
    return dict(
        type=f'{scope}.SwinTransformer',
        embed_dims=96,
        depths=depths,
        num_heads=[3, 6, 12, 24],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        drop_path_rate=drop_path_rate,
        patch_norm=True,
        out_indices=(0, 1, 2, 3))


PVT_V2_B1 = dict(
    type='mmdet.PyramidVisionTransformerV2',
    embed_dims=64,
    num_layers=[2, 2, 2, 2])

#: Default selection: the variants the targets name plus one per family
#: (all of them take hours on a 2-core CPU; ``--all`` adds the rest).
DEFAULT_MODELS: List[SuiteModel] = [
    _ours('FasterViT-0', 'FasterViT', 'fastervit_0', 'faster_vit_0'),
    _ours('FasterViT-2', 'FasterViT', 'fastervit_2', 'faster_vit_2'),
    _ours('EfficientViT-B1', 'EfficientViT', 'efficientvit_b1',
          'efficientvit_b1'),
    _ours('EfficientViT-L1', 'EfficientViT', 'efficientvit_l1',
          'efficientvit_l1'),
    _ours('LightViT-T', 'LightViT', 'lightvit_t'),
    _ours('FastViT-SA12', 'FastViT', 'fastvit_sa12', 'fastvit_sa12'),
    _baseline('Swin-T', dict(_swin('mmdet', [2, 2, 6, 2], 0.2)),
              dict(_swin('mmseg', [2, 2, 6, 2], 0.3)), [96, 192, 384, 768]),
    _baseline('Swin-S', dict(_swin('mmdet', [2, 2, 18, 2], 0.2)),
              dict(_swin('mmseg', [2, 2, 18, 2], 0.3)), [96, 192, 384, 768]),
    # The configs' own ResNet-50 (mmdet ResNet / mmseg ResNetV1c).
    _baseline('ResNet-50', {}, {}, [256, 512, 1024, 2048]),
    _baseline('PVTv2-B1', PVT_V2_B1, PVT_V2_B1, [64, 128, 320, 512]),
]
MORE_MODELS: List[SuiteModel] = [
    _ours('FasterViT-1', 'FasterViT', 'fastervit_1', 'faster_vit_1'),
    _ours('FasterViT-3', 'FasterViT', 'fastervit_3', 'faster_vit_3'),
    _ours('FasterViT-4', 'FasterViT', 'fastervit_4', 'faster_vit_4'),
    _ours('EfficientViT-B2', 'EfficientViT', 'efficientvit_b2',
          'efficientvit_b2'),
    _ours('EfficientViT-B3', 'EfficientViT', 'efficientvit_b3',
          'efficientvit_b3'),
    _ours('EfficientViT-L2', 'EfficientViT', 'efficientvit_l2',
          'efficientvit_l2'),
    _ours('LightViT-S', 'LightViT', 'lightvit_s'),
    _ours('LightViT-B', 'LightViT', 'lightvit_b'),
    _ours('FastViT-SA24', 'FastViT', 'fastvit_sa24', 'fastvit_sa24'),
    _ours('FastViT-SA36', 'FastViT', 'fastvit_sa36', 'fastvit_sa36'),
    _ours('FastViT-MA36', 'FastViT', 'fastvit_ma36', 'fastvit_ma36'),
]
#: Every ratio column divides by this model's img/s.
REFERENCE = 'Swin-T'


def select_models(names: Sequence[str] = (),
                  everything: bool = False) -> List[SuiteModel]:
    """The default models, all of them, or those named (any case)."""
    pool = DEFAULT_MODELS + MORE_MODELS
    if not names:
        return list(pool if everything else DEFAULT_MODELS)
    by_name = {m.name.lower(): m for m in pool}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise ValueError(f'Unknown suite model(s) {unknown}; choose from '
                         f'{[m.name for m in pool]}')
    return [by_name[n.lower()] for n in names]


def custom_model(name: str, det: Optional[str],
                 seg: Optional[str]) -> SuiteModel:
    """A model given by config files (``--custom NAME DET SEG``; ``None``
    or ``'-'`` skips a task)."""
    configs = {t: p for t, p in zip(TASKS, (det, seg)) if p and p != '-'}
    return SuiteModel(name, 'custom', configs)


def add_custom_argument(parser: argparse.ArgumentParser) -> None:
    """``--custom NAME DET_CONFIG SEG_CONFIG`` (repeatable), read by
    :func:`custom_model`."""
    parser.add_argument(
        '--custom',
        nargs=3,
        action='append',
        default=[],
        metavar=('NAME', 'DET_CONFIG', 'SEG_CONFIG'),
        help="a model given by config files ('-' skips a task)")


def load_task_config(model: SuiteModel, task: str) -> Config:
    """The config of ``model`` for ``task``, baseline backbone swapped in
    (neck / decode heads get its channels)."""
    path = model.configs[task]
    cfg = Config.fromfile(path if osp.isfile(path) else get_config_path(path))
    backbone = model.backbones.get(task)
    if backbone:
        cfg.model.backbone = copy.deepcopy(backbone)
    if model.channels is not None:
        channels = list(model.channels)
        if task == 'det':
            cfg.model.neck.in_channels = channels
        else:
            cfg.model.decode_head.in_channels = channels
            if cfg.model.get('auxiliary_head'):
                cfg.model.auxiliary_head.in_channels = channels[2]
    return cfg
