"""Deterministic toy datasets in real COCO, ADE20K and Cityscapes formats.

The files are read unchanged by ``mmdet.datasets.CocoDataset``,
``mmseg.datasets.ADE20KDataset`` (or ``BaseSegDataset`` with
``reduce_zero_label=True``) and ``mmseg.datasets.CityscapesDataset``. Every
image comes from its own random stream seeded by ``(seed, dataset, split,
index)``, so the same seed gives byte-identical files and single images can be
re-rendered (with their exact masks) without the rest of the set. Only numpy
and OpenCV are needed by these modules.

See ``docs/toy_data.md`` for the layouts, class lists and config snippets.
"""
from .common import (MAKERS, TOY_ADE_CLASSES, TOY_ADE_METAINFO,
                     TOY_CITYSCAPES_CLASSES, TOY_CITYSCAPES_METAINFO,
                     TOY_CITYSCAPES_TRAIN_IDS, TOY_COCO_CLASSES,
                     TOY_COCO_METAINFO, ToyDataResult, make_ade20k, make_all,
                     make_cityscapes, make_coco, render_ade_image,
                     render_cityscapes_image, render_coco_image)

__all__ = [
    'TOY_COCO_CLASSES', 'TOY_COCO_METAINFO', 'TOY_ADE_CLASSES',
    'TOY_ADE_METAINFO', 'TOY_CITYSCAPES_CLASSES', 'TOY_CITYSCAPES_METAINFO',
    'TOY_CITYSCAPES_TRAIN_IDS', 'ToyDataResult', 'MAKERS', 'make_coco',
    'make_ade20k', 'make_cityscapes', 'make_all', 'render_coco_image',
    'render_ade_image', 'render_cityscapes_image'
]
