"""Toy ADE20K semantic segmentation: indoor and outdoor scenes.

Read unchanged by ``mmseg.datasets.ADE20KDataset`` (or ``BaseSegDataset``
with ``reduce_zero_label=True``).
"""
from pathlib import Path
from typing import Tuple

import numpy as np

from .build import PathLike, ToyDataResult, build_toy_dataset, imwrite
from .common import (blob_mask, building_texture, floor_texture,
                     foliage_texture, image_rng, other_texture, paint,
                     random_color, random_polygon_mask, rect_mask, sky_texture,
                     solid_texture, to_uint8, wall_texture)

# The first five ADE20K classes, so the label values 1..5 in the pngs are
# the real ADE20K ids: ADE20KDataset with metainfo=dict(classes=...) keeps
# them as 0..4 (its by-name label_map is the identity on this prefix), and a
# plain BaseSegDataset with reduce_zero_label=True reads them the same way.
TOY_ADE_CLASSES = ('wall', 'building', 'sky', 'floor', 'tree')
TOY_ADE_METAINFO = dict(classes=TOY_ADE_CLASSES)

_ADE_SIZES = ((160, 160), (192, 144), (144, 192), (176, 176))  # (w, h)


def render_ade_image(seed: int, split: str,
                     index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Render one ADE20K-format scene.

    Returns:
        tuple: RGB uint8 image ``(H, W, 3)`` and uint8 label map ``(H, W)``
        with 0 = other (ignored under reduce_zero_label) and
        ``1..len(TOY_ADE_CLASSES)`` the classes in ``TOY_ADE_CLASSES`` order.
    """
    rng = image_rng(seed, 'ade20k', split, index)
    wall, building, sky, floor, tree = range(1, len(TOY_ADE_CLASSES) + 1)
    w, h = _ADE_SIZES[rng.integers(len(_ADE_SIZES))]
    img = np.zeros((h, w, 3), np.float32)
    lab = np.zeros((h, w), np.uint8)
    horizon = int(h * rng.uniform(0.35, 0.65))
    above = rect_mask(h, w, 0, 0, w, horizon)
    if rng.random() < 0.4:  # indoor: wall, floor, windows onto the outside
        paint(img, lab, above, wall, wall_texture(rng, h, w))
        paint(img, lab, ~above, floor, floor_texture(rng, h, w))
        for _ in range(rng.integers(1, 3)):
            x0 = rng.uniform(0, w - 30)
            y0 = rng.uniform(0, max(horizon - 30, 1))
            x1 = x0 + rng.uniform(20, 50)
            y1 = min(y0 + rng.uniform(20, 45), horizon - 4)
            paint(img, lab, rect_mask(h, w, x0, y0, x1, y1), sky,
                  sky_texture(rng, h, w, int(y0), int(y1)))
            if rng.random() < 0.5:
                top = rng.uniform(y0, y1)
                paint(img, lab, rect_mask(h, w, x0, top, x1, y1), building,
                      building_texture(rng, h, w, int(x0), int(top)))
        num_trees = rng.integers(0, 2)
    else:  # outdoor: sky, ground, buildings on the horizon
        paint(img, lab, above, sky, sky_texture(rng, h, w, 0, horizon))
        paint(img, lab, ~above, floor, floor_texture(rng, h, w))
        for _ in range(rng.integers(1, 5)):
            x0 = rng.uniform(-10, w - 15)
            x1 = x0 + rng.uniform(20, 60)
            top = rng.uniform(0.08 * h, horizon - 8)
            paint(img, lab,
                  rect_mask(h, w, x0, top, x1, horizon + rng.uniform(0, 6)),
                  building, building_texture(rng, h, w, int(x0), int(top)))
        num_trees = rng.integers(1, 4)
    for _ in range(num_trees):
        cx, r = rng.uniform(0, w), rng.uniform(10, 28)
        cy = horizon - rng.uniform(0, 1.2) * r
        trunk = rect_mask(h, w, cx - r / 8, cy, cx + r / 8, cy + 1.5 * r)
        paint(
            img, lab, trunk, tree,
            solid_texture(rng, h, w,
                          random_color(rng, (70, 45, 25), (110, 80, 50))))
        paint(img, lab, blob_mask(rng, h, w, cx, cy, r), tree,
              foliage_texture(rng, h, w))
    for _ in range(rng.integers(0, 3)):  # unlabelled clutter
        paint(img, lab, random_polygon_mask(rng, h, w), 0,
              other_texture(rng, h, w))
    return to_uint8(img), lab


def _write_ade(out: Path, seed: int, num_train: int, num_val: int) -> None:
    for split, folder, num in (('train', 'training', num_train),
                               ('val', 'validation', num_val)):
        for index in range(num):
            img, lab = render_ade_image(seed, split, index)
            name = f'ADE_{split}_{index + 1:08d}'  # ADEChallenge naming
            imwrite(out / 'images' / folder / f'{name}.jpg', img)
            imwrite(out / 'annotations' / folder / f'{name}.png', lab)


def make_ade20k(root: PathLike = 'data',
                seed: int = 0,
                num_train: int = 100,
                num_val: int = 25,
                force: bool = False) -> ToyDataResult:
    """Write ``<root>/toy_ade``: ADE20K-format semantic segmentation.

    Layout: ``images/{training,validation}/*.jpg`` and
    ``annotations/{training,validation}/*.png`` (0 = other, 1..5 =
    ``TOY_ADE_CLASSES``; use ``reduce_zero_label=True``).
    """
    return build_toy_dataset('ade20k', 'toy_ade', _write_ade, root, seed,
                             num_train, num_val, force)
