"""Small Mask R-CNN / UperNet configs on the toy data, any backbone.

``toy_det_cfg`` starts from the README demo config (toy COCO, small heads)
and ``toy_seg_cfg`` from our UperNet ADE20K recipe pointed at toy ADE20K;
both shrink images to ``size`` pixels, train ``max_iters`` iterations at a
constant learning rate without weight decay (so changed weights mean
gradients flowed) and drop validation.
"""
import copy
import os.path as osp
from pathlib import Path
from typing import Union

from mmengine.config import Config

from hvt_mm.datasets.toy import TOY_ADE_CLASSES, TOY_COCO_CLASSES
from hvt_mm.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_DET = osp.join(ROOT, 'configs', 'demo_mask_rcnn_fastervit_0_toy_coco.py')
BASE_SEG = osp.join(ROOT, 'configs', '_base_', 'upernet_ade20k.py')
PathLike = Union[str, Path]


def _out_channels(backbone: dict) -> list:
    return list(MODELS.build(copy.deepcopy(backbone)).out_channels)


def _short_schedule(cfg: Config, work_dir: PathLike, max_iters: int) -> None:
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.optim_wrapper.optimizer.update(lr=1e-3, weight_decay=0.)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=max_iters or 1)
    cfg.custom_hooks = []
    cfg.log_processor = dict(by_epoch=False)
    cfg.randomness = dict(seed=0)
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].update(
            batch_size=2, num_workers=0, persistent_workers=False)


def toy_det_cfg(data_root: PathLike,
                work_dir: PathLike,
                backbone: dict,
                size: int = 96,
                max_iters: int = 2) -> Config:
    """Mask R-CNN (demo heads) with ``backbone`` on ``<data_root>/toy_coco``.
    """
    cfg = Config.fromfile(DEMO_DET)
    root = osp.join(str(data_root), 'toy_coco') + '/'
    cfg.model.backbone = copy.deepcopy(backbone)
    cfg.model.neck.in_channels = _out_channels(backbone)
    for pipeline in (cfg.train_pipeline, cfg.test_pipeline):
        for step in pipeline:
            if step['type'] == 'Resize':
                step['scale'] = (size, size)
    cfg.train_dataloader.dataset.update(
        data_root=root, pipeline=cfg.train_pipeline)
    cfg.test_dataloader.dataset.update(
        data_root=root, pipeline=cfg.test_pipeline)
    cfg.test_evaluator.ann_file = root + 'annotations/instances_val.json'
    assert tuple(cfg.metainfo.classes) == TOY_COCO_CLASSES
    _short_schedule(cfg, work_dir, max_iters)
    return cfg


def toy_seg_cfg(data_root: PathLike,
                work_dir: PathLike,
                backbone: dict,
                size: int = 96,
                max_iters: int = 2) -> Config:
    """UperNet with ``backbone`` on ``<data_root>/toy_ade`` (5 classes)."""
    cfg = Config.fromfile(BASE_SEG)
    channels = _out_channels(backbone)
    num_classes = len(TOY_ADE_CLASSES)
    cfg.model.backbone = copy.deepcopy(backbone)
    cfg.model.data_preprocessor.size = (size, size)
    cfg.model.decode_head.update(
        in_channels=channels, channels=64, num_classes=num_classes)
    cfg.model.auxiliary_head.update(
        in_channels=channels[2], channels=32, num_classes=num_classes)
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', reduce_zero_label=True),
        dict(type='Resize', scale=(size, size), keep_ratio=True),
        dict(type='RandomCrop', crop_size=(size, size)),
        dict(type='PackSegInputs'),
    ]
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(size, size), keep_ratio=True),
        dict(type='LoadAnnotations', reduce_zero_label=True),
        dict(type='PackSegInputs'),
    ]
    dataset = dict(
        type='ADE20KDataset',
        data_root=osp.join(str(data_root), 'toy_ade'),
        metainfo=dict(classes=TOY_ADE_CLASSES))
    cfg.train_dataloader.dataset = dict(
        dataset,
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline)
    cfg.test_dataloader.dataset = dict(
        dataset,
        data_prefix=dict(
            img_path='images/validation',
            seg_map_path='annotations/validation'),
        pipeline=test_pipeline)
    cfg.test_pipeline = test_pipeline
    _short_schedule(cfg, work_dir, max_iters)
    return cfg
