"""Deterministic toy datasets in real COCO, ADE20K and Cityscapes formats.

The files are read unchanged by ``mmdet.datasets.CocoDataset``,
``mmseg.datasets.ADE20KDataset`` (or ``BaseSegDataset`` with
``reduce_zero_label=True``) and ``mmseg.datasets.CityscapesDataset``. Every
image comes from its own random stream seeded by ``(seed, dataset, split,
index)``, so the same seed gives byte-identical files and single images can be
re-rendered (with their exact masks) without the rest of the set. Only numpy
and OpenCV are needed by these modules.

One module per format (:mod:`.coco`, :mod:`.ade20k`, :mod:`.cityscapes`);
:mod:`.common` holds the shared drawing kit and :mod:`.build` the idempotent
writing (stamp file, atomic swap). See ``docs/toy_data.md`` for the layouts,
class lists and config snippets.
"""
from typing import Callable, Dict, Sequence

from .ade20k import (TOY_ADE_CLASSES, TOY_ADE_METAINFO, make_ade20k,
                     render_ade_image)
from .build import PathLike, ToyDataResult
from .cityscapes import (TOY_CITYSCAPES_CLASSES, TOY_CITYSCAPES_METAINFO,
                         TOY_CITYSCAPES_TRAIN_IDS, make_cityscapes,
                         render_cityscapes_image)
from .coco import (TOY_COCO_CLASSES, TOY_COCO_METAINFO, make_coco,
                   render_coco_image)

__all__ = [
    'TOY_COCO_CLASSES', 'TOY_COCO_METAINFO', 'TOY_ADE_CLASSES',
    'TOY_ADE_METAINFO', 'TOY_CITYSCAPES_CLASSES', 'TOY_CITYSCAPES_METAINFO',
    'TOY_CITYSCAPES_TRAIN_IDS', 'ToyDataResult', 'MAKERS', 'make_coco',
    'make_ade20k', 'make_cityscapes', 'make_all', 'render_coco_image',
    'render_ade_image', 'render_cityscapes_image'
]

MAKERS: Dict[str, Callable[..., ToyDataResult]] = {
    'coco': make_coco,
    'ade20k': make_ade20k,
    'cityscapes': make_cityscapes,
}


def make_all(root: PathLike = 'data',
             seed: int = 0,
             force: bool = False,
             datasets: Sequence[str] = tuple(MAKERS),
             **sizes: int) -> Dict[str, ToyDataResult]:
    """Write the selected toy datasets with their default sizes.

    ``sizes`` (``num_train``/``num_val``) override the defaults for all of
    them.
    """
    unknown = [d for d in datasets if d not in MAKERS]
    if unknown:
        raise ValueError(f'unknown toy dataset(s) {unknown}; '
                         f'choose from {sorted(MAKERS)}')
    return {
        d: MAKERS[d](root=root, seed=seed, force=force, **sizes)
        for d in datasets
    }
