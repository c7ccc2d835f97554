"""Toy Cityscapes semantic segmentation: street scenes in the gtFine layout.

Read unchanged by ``mmseg.datasets.CityscapesDataset``.
"""
from pathlib import Path
from typing import Tuple

import numpy as np

from .build import PathLike, ToyDataResult, build_toy_dataset, imwrite
from .common import (asphalt_texture, blob_mask, building_texture,
                     ellipse_mask, foliage_texture, image_rng, paint,
                     paving_texture, random_color, raster, rect_mask,
                     sky_texture, solid_texture, to_uint8)

# Subset of the 19 Cityscapes train classes; the pngs hold their real trainIds.
TOY_CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'vegetation', 'sky',
                          'car')
TOY_CITYSCAPES_TRAIN_IDS = (0, 1, 2, 8, 10, 13)
TOY_CITYSCAPES_METAINFO = dict(classes=TOY_CITYSCAPES_CLASSES)
# Cityscapes trainId -> labelId (official label table); 255 -> 0 'unlabeled'.
_CS_TRAIN_TO_LABEL_ID = {
    0: 7,
    1: 8,
    2: 11,
    3: 12,
    4: 13,
    5: 17,
    6: 19,
    7: 20,
    8: 21,
    9: 22,
    10: 23,
    11: 24,
    12: 25,
    13: 26,
    14: 27,
    15: 28,
    16: 31,
    17: 32,
    18: 33,
    255: 0
}
_CS_TRAIN_CITIES = ('aachen', 'bochum')
_CS_VAL_CITIES = ('frankfurt', )

_CS_SIZE = (256, 128)  # (width, height), the 2:1 aspect of Cityscapes


def render_cityscapes_image(seed: int, split: str,
                            index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Render one Cityscapes-format street scene.

    Returns:
        tuple: RGB uint8 image ``(H, W, 3)`` and uint8 trainId map ``(H, W)``
        with values in ``TOY_CITYSCAPES_TRAIN_IDS`` or 255 (ignore).
    """
    rng = image_rng(seed, 'cityscapes', split, index)
    road, sidewalk, building, vegetation, sky, car = TOY_CITYSCAPES_TRAIN_IDS
    w, h = _CS_SIZE
    img = np.zeros((h, w, 3), np.float32)
    lab = np.full((h, w), 255, np.uint8)
    horizon = int(h * rng.uniform(0.38, 0.5))
    paint(img, lab, rect_mask(h, w, 0, 0, w, horizon), sky,
          sky_texture(rng, h, w, 0, horizon))
    x = rng.uniform(-20, 0)
    while x < w:  # street front: buildings with occasional gaps
        width = rng.uniform(20, 60)
        if rng.random() < 0.75:
            top = rng.uniform(0.03 * h, horizon - 6)
            paint(img, lab, rect_mask(h, w, x, top, x + width, horizon + 4),
                  building, building_texture(rng, h, w, int(x), int(top)))
        x += width
    for _ in range(rng.integers(1, 4)):
        cx = rng.choice([rng.uniform(0, 0.3 * w), rng.uniform(0.7 * w, w)])
        r = rng.uniform(8, 20)
        paint(img, lab, blob_mask(rng, h, w, cx, horizon - rng.uniform(0, r),
                                  r), vegetation, foliage_texture(rng, h, w))
    ground = rect_mask(h, w, 0, horizon, w, h)
    paint(img, lab, ground, sidewalk, paving_texture(rng, h, w))
    vp = rng.uniform(0.4, 0.6) * w  # vanishing point on the horizon
    left, right = rng.uniform(-0.3, 0.12) * w, rng.uniform(0.88, 1.3) * w
    road_poly = np.array([[vp - 4, horizon], [vp + 4, horizon], [right, h],
                          [left, h]])
    road_mask = raster(road_poly, h, w) & ground
    paint(img, lab, road_mask, road, asphalt_texture(rng, h, w))
    # Dashed centre line: painted on the road, labelled road like the real set.
    dash = np.zeros((h, w), bool)
    for y in range(horizon + 4, h, 10):
        t = (y - horizon) / (h - horizon)
        cx = vp + t * ((left + right) / 2 - vp)
        dash |= rect_mask(h, w, cx - 0.5 - 2 * t, y, cx + 0.5 + 2 * t, y + 5)
    paint(img, lab, dash & road_mask, road,
          solid_texture(rng, h, w, (225, 225, 215)))
    # Cars, far to near so nearer ones occlude.
    bottoms = np.sort(rng.uniform(horizon + 8, h + 5, rng.integers(0, 5)))
    for yb in bottoms:
        t = (yb - horizon) / (h - horizon)
        lo, hi = vp + t * (left - vp), vp + t * (right - vp)
        cw = (10 + 60 * t) * rng.uniform(0.8, 1.2)
        cx = rng.uniform(lo + cw / 2, max(hi - cw / 2, lo + cw / 2 + 1))
        ch = cw * rng.uniform(0.45, 0.6)
        body = rect_mask(h, w, cx - cw / 2, yb - 0.6 * ch, cx + cw / 2,
                         yb - 0.1 * ch)
        cabin = rect_mask(h, w, cx - 0.3 * cw, yb - ch, cx + 0.3 * cw,
                          yb - 0.55 * ch)
        wheels = (
            ellipse_mask(h, w, cx - 0.3 * cw, yb - 0.12 * ch, 0.12 * cw,
                         0.12 * ch)
            | ellipse_mask(h, w, cx + 0.3 * cw, yb - 0.12 * ch, 0.12 * cw,
                           0.12 * ch))
        body_color = random_color(rng, 20, 235)
        paint(img, lab, body | cabin, car,
              solid_texture(rng, h, w, body_color))
        paint(img, lab, cabin & rect_mask(h, w, 0, yb - 0.92 * ch, w, h), car,
              solid_texture(rng, h, w, (40, 50, 60)))
        paint(img, lab, wheels, car, solid_texture(rng, h, w, (15, 15, 15)))
    if rng.random() < 0.5:  # ego-vehicle hood: ignored, as in Cityscapes
        hood = ellipse_mask(h, w, w / 2, h + 0.05 * h, 0.7 * w, 0.14 * h)
        paint(img, lab, hood, 255,
              solid_texture(rng, h, w, random_color(rng, 10, 80)))
    return to_uint8(img), lab


def _write_cityscapes(out: Path, seed: int, num_train: int,
                      num_val: int) -> None:
    lut = np.zeros(256, np.uint8)
    for train_id, label_id in _CS_TRAIN_TO_LABEL_ID.items():
        lut[train_id] = label_id
    for split, cities, num in (('train', _CS_TRAIN_CITIES, num_train),
                               ('val', _CS_VAL_CITIES, num_val)):
        for index in range(num):
            img, train_ids = render_cityscapes_image(seed, split, index)
            city = cities[index % len(cities)]
            stem = f'{city}_{index:06d}_000019'
            imwrite(
                out / 'leftImg8bit' / split / city / f'{stem}_leftImg8bit.png',
                img)
            gt = out / 'gtFine' / split / city
            imwrite(gt / f'{stem}_gtFine_labelTrainIds.png', train_ids)
            # labelIds are what the official cityscapesscripts eval reads.
            imwrite(gt / f'{stem}_gtFine_labelIds.png', lut[train_ids])


def make_cityscapes(root: PathLike = 'data',
                    seed: int = 0,
                    num_train: int = 60,
                    num_val: int = 15,
                    force: bool = False) -> ToyDataResult:
    """Write ``<root>/toy_cityscapes`` in the Cityscapes layout.

    Layout: ``leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png`` and
    ``gtFine/{train,val}/<city>/<name>_gtFine_{labelTrainIds,labelIds}.png``.
    """
    return build_toy_dataset('cityscapes', 'toy_cityscapes', _write_cityscapes,
                             root, seed, num_train, num_val, force)
