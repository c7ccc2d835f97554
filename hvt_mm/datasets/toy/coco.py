"""Toy COCO instance segmentation: three shapes on textured backgrounds.

Read unchanged by ``mmdet.datasets.CocoDataset``.
"""
import json
from pathlib import Path
from typing import List, Tuple

import cv2
import numpy as np

from .build import (GENERATOR_VERSION, PathLike, ToyDataResult,
                    build_toy_dataset, imwrite)
from .common import image_rng, random_color, random_texture, raster, to_uint8

TOY_COCO_CLASSES = ('circle', 'triangle', 'rectangle')
TOY_COCO_METAINFO = dict(
    classes=TOY_COCO_CLASSES,
    palette=[(220, 20, 60), (0, 128, 255), (255, 200, 0)])


def _shape_polygon(rng: np.random.Generator, category: str,
                   radius: float) -> np.ndarray:
    """Vertices ``(N, 2)`` of a shape of circumradius ``radius`` at 0."""
    theta = rng.uniform(0, 2 * np.pi)
    if category == 'circle':
        angles = theta + np.linspace(0, 2 * np.pi, 32, endpoint=False)
        radii = np.full(32, radius)
    elif category == 'triangle':
        angles = theta + np.array([0, 2, 4]) * np.pi / 3 + rng.uniform(
            -0.2, 0.2, 3)
        radii = radius * rng.uniform(0.85, 1.0, 3)
    elif category == 'rectangle':
        # Half-diagonal angle 25-45 deg: aspect ratios from 0.47 to 1.
        phi = np.deg2rad(rng.uniform(25, 45))
        angles = theta + np.array([phi, np.pi - phi, np.pi + phi, -phi])
        radii = np.full(4, radius)
    else:
        raise ValueError(f'unknown toy shape {category!r}; '
                         f'expected one of {TOY_COCO_CLASSES}')
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)


_COCO_SIZES = ((160, 160), (192, 160), (160, 192))  # (width, height)


def render_coco_image(seed: int, split: str,
                      index: int) -> Tuple[np.ndarray, List[dict]]:
    """Render one toy COCO image and its objects.

    Objects never overlap (a 2 px gap is kept), so each annotation polygon is
    the whole visible shape and the drawn mask is exactly that polygon.

    Returns:
        tuple: RGB uint8 image ``(H, W, 3)`` and a list of objects with keys
        ``category_id`` (1-based into ``TOY_COCO_CLASSES``), ``polygon``
        (``(N, 2)`` float COCO coordinates, 2 decimals) and ``mask``
        (bool ``(H, W)``, the pixels painted for it).
    """
    rng = image_rng(seed, 'coco', split, index)
    w, h = _COCO_SIZES[rng.integers(len(_COCO_SIZES))]
    img = random_texture(rng, h, w, random_color(rng, 0, 255),
                         random_color(rng, 0, 255))
    occupied = np.zeros((h, w), np.uint8)
    objects = []
    for _ in range(rng.integers(2, 6)):
        category_id = int(rng.integers(len(TOY_COCO_CLASSES))) + 1
        for _attempt in range(30):
            radius = rng.uniform(12, 0.22 * min(h, w))
            base = _shape_polygon(rng, TOY_COCO_CLASSES[category_id - 1],
                                  radius)
            center = rng.uniform((radius + 2, radius + 2),
                                 (w - radius - 2, h - radius - 2))
            poly = np.round(base + center, 2)
            mask = raster(poly, h, w)
            if not (occupied[mask]).any():
                break
        else:
            continue  # image too crowded for this one; fewer objects is fine
        occupied |= cv2.dilate(
            mask.astype(np.uint8), np.ones((5, 5), np.uint8))
        # Object colour far from the background under it keeps edges visible.
        under = img[mask].mean(0)
        for _attempt in range(20):
            c0 = random_color(rng, 0, 255)
            if np.linalg.norm(c0 - under) > 100:
                break
        c1 = (c0 + rng.uniform(-40, 40, 3)).clip(0, 255)
        fill = random_texture(rng, h, w, c0, c1)
        img[mask] = fill[mask]
        objects.append(dict(category_id=category_id, polygon=poly, mask=mask))
    return to_uint8(img), objects


def _write_coco(out: Path, seed: int, num_train: int, num_val: int) -> None:
    categories = [
        dict(id=i + 1, name=name, supercategory='shape')
        for i, name in enumerate(TOY_COCO_CLASSES)
    ]
    for split, num in (('train', num_train), ('val', num_val)):
        images, annotations = [], []
        for index in range(num):
            img, objects = render_coco_image(seed, split, index)
            image_id = index + 1
            file_name = f'{image_id:012d}.jpg'
            imwrite(out / split / file_name, img)
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    height=img.shape[0],
                    width=img.shape[1]))
            for obj in objects:
                poly = obj['polygon']
                x0, y0 = poly.min(0)
                x1, y1 = poly.max(0)
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=image_id,
                        category_id=obj['category_id'],
                        segmentation=[[float(v) for v in poly.ravel()]],
                        area=float(obj['mask'].sum()),
                        bbox=[
                            round(float(v), 2)
                            for v in (x0, y0, x1 - x0, y1 - y0)
                        ],
                        iscrowd=0))
        coco = dict(
            # pycocotools >= 2.0.7 COCO.loadRes copies 'info'; keep it present.
            info=dict(
                description='hvt_mm toy shapes (synthetic)',
                version=str(GENERATOR_VERSION),
                year=2024),
            licenses=[],
            images=images,
            annotations=annotations,
            categories=categories)
        ann = out / 'annotations' / f'instances_{split}.json'
        ann.parent.mkdir(parents=True, exist_ok=True)
        ann.write_text(json.dumps(coco, separators=(',', ':')))


def make_coco(root: PathLike = 'data',
              seed: int = 0,
              num_train: int = 200,
              num_val: int = 50,
              force: bool = False) -> ToyDataResult:
    """Write ``<root>/toy_coco``: COCO instance segmentation of 3 shapes.

    Layout: ``{train,val}/<id:012d>.jpg`` and
    ``annotations/instances_{train,val}.json``. Skipped when a stamp with the
    same parameters is present, unless ``force``.
    """
    return build_toy_dataset('coco', 'toy_coco', _write_coco, root, seed,
                             num_train, num_val, force)
