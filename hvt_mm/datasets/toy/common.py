"""Deterministic toy datasets in real COCO, ADE20K and Cityscapes formats.

The files are read unchanged by ``mmdet.datasets.CocoDataset``,
``mmseg.datasets.ADE20KDataset`` (or ``BaseSegDataset`` with
``reduce_zero_label=True``) and ``mmseg.datasets.CityscapesDataset``. Every
image comes from its own random stream seeded by ``(seed, dataset, split,
index)``, so the same seed gives byte-identical files and single images can be
re-rendered (with their exact masks) without the rest of the set. Only numpy
and OpenCV are needed; torch and OpenMMLab are not imported.

See ``docs/toy_data.md`` for the layouts, class lists and config snippets.
"""
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple, Union

import cv2
import numpy as np

__all__ = [
    'TOY_COCO_CLASSES', 'TOY_COCO_METAINFO', 'TOY_ADE_CLASSES',
    'TOY_ADE_METAINFO', 'TOY_CITYSCAPES_CLASSES', 'TOY_CITYSCAPES_METAINFO',
    'TOY_CITYSCAPES_TRAIN_IDS', 'ToyDataResult', 'make_coco', 'make_ade20k',
    'make_cityscapes', 'make_all', 'render_coco_image', 'render_ade_image',
    'render_cityscapes_image'
]

# Bump when the rendering changes, so stale data on disk gets regenerated.
GENERATOR_VERSION = 1
STAMP_NAME = 'toy_stamp.json'

TOY_COCO_CLASSES = ('circle', 'triangle', 'rectangle')
TOY_COCO_METAINFO = dict(
    classes=TOY_COCO_CLASSES,
    palette=[(220, 20, 60), (0, 128, 255), (255, 200, 0)])

# The first five ADE20K classes, so the label values 1..5 in the pngs are
# the real ADE20K ids: ADE20KDataset with metainfo=dict(classes=...) keeps
# them as 0..4 (its by-name label_map is the identity on this prefix), and a
# plain BaseSegDataset with reduce_zero_label=True reads them the same way.
TOY_ADE_CLASSES = ('wall', 'building', 'sky', 'floor', 'tree')
TOY_ADE_METAINFO = dict(classes=TOY_ADE_CLASSES)

# Subset of the 19 Cityscapes train classes; the pngs hold their real trainIds.
TOY_CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'vegetation', 'sky',
                          'car')
TOY_CITYSCAPES_TRAIN_IDS = (0, 1, 2, 8, 10, 13)
TOY_CITYSCAPES_METAINFO = dict(classes=TOY_CITYSCAPES_CLASSES)
# Cityscapes trainId -> labelId (official label table); 255 -> 0 'unlabeled'.
_CS_TRAIN_TO_LABEL_ID = {
    0: 7, 1: 8, 2: 11, 3: 12, 4: 13, 5: 17, 6: 19, 7: 20, 8: 21, 9: 22,
    10: 23, 11: 24, 12: 25, 13: 26, 14: 27, 15: 28, 16: 31, 17: 32, 18: 33,
    255: 0
}
_CS_TRAIN_CITIES = ('aachen', 'bochum')
_CS_VAL_CITIES = ('frankfurt', )

_DATASET_TAGS = {'coco': 1, 'ade20k': 2, 'cityscapes': 3}
_SPLIT_TAGS = {'train': 0, 'val': 1}

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class ToyDataResult:
    """Where a toy dataset lives and whether this call (re)wrote it."""
    name: str
    path: Path
    generated: bool
    seconds: float


def _rng(seed: int, dataset: str, split: str,
         index: int) -> np.random.Generator:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be a non-negative int, got {seed!r}')
    return np.random.default_rng(
        [int(seed), _DATASET_TAGS[dataset], _SPLIT_TAGS[split], index])


# --------------------------------------------------------------------------
# Textures. All return float32 RGB arrays of shape (H, W, 3) in [0, 255].
# --------------------------------------------------------------------------


def _mix(c0: np.ndarray, c1: np.ndarray, t: np.ndarray) -> np.ndarray:
    c0 = np.asarray(c0, np.float32)
    return c0 + t[..., None].astype(np.float32) * (
        np.asarray(c1, np.float32) - c0)


def _smooth_noise(rng: np.random.Generator, h: int, w: int,
                  cell: float) -> np.ndarray:
    """Value noise in [0, 1] with features about ``cell`` pixels wide."""
    gh, gw = max(2, int(round(h / cell)) + 1), max(2, int(round(w / cell)) + 1)
    grid = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _projection(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Pixel coordinates projected on a random direction."""
    angle = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return xx * np.cos(angle) + yy * np.sin(angle)


def _random_texture(rng: np.random.Generator, h: int, w: int, c0: np.ndarray,
                    c1: np.ndarray) -> np.ndarray:
    """One of five generic textures between two colours."""
    kind = rng.integers(5)
    if kind == 0:  # flat colour with grain
        t = np.zeros((h, w), np.float32)
    elif kind == 1:  # linear gradient
        p = _projection(rng, h, w)
        t = (p - p.min()) / max(float(np.ptp(p)), 1e-6)
    elif kind == 2:  # stripes
        period = rng.uniform(6, 24)
        t = (np.sin(2 * np.pi * _projection(rng, h, w) / period) > 0)
    elif kind == 3:  # rotated checkerboard
        cell = rng.uniform(6, 20)
        p, q = _projection(rng, h, w), _projection(rng, h, w)
        t = (np.floor(p / cell) + np.floor(q / cell)) % 2
    else:  # blobs
        t = _smooth_noise(rng, h, w, rng.uniform(8, 40))
    return _mix(c0, c1, t) + rng.normal(0, rng.uniform(2, 10), (h, w, 1))


def _color(rng: np.random.Generator, lo: Sequence[float],
           hi: Sequence[float]) -> np.ndarray:
    return rng.uniform(lo, hi, size=3).astype(np.float32)


def _sky(rng: np.random.Generator, h: int, w: int, y0: int,
         y1: int) -> np.ndarray:
    """Vertical gradient (blue or overcast) from row y0 to y1 with clouds."""
    if rng.random() < 0.25:
        top = _color(rng, (150, 150, 160), (190, 190, 200))
        bottom = top + rng.uniform(20, 45)
    else:
        top = _color(rng, (30, 80, 170), (110, 160, 250))
        bottom = _color(rng, (150, 190, 225), (210, 230, 255))
    rows = np.arange(h, dtype=np.float32)
    t = ((rows - y0) / max(y1 - y0, 1)).clip(0, 1)
    img = _mix(top, bottom, np.broadcast_to(t[:, None], (h, w)))
    clouds = (_smooth_noise(rng, h, w, rng.uniform(12, 30)) - 0.55).clip(0)
    return _mix(img, (245, 245, 245), clouds * 2.2) + rng.normal(
        0, 2, (h, w, 1))


def _wall(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = _color(rng, (150, 140, 130), (235, 230, 225))
    img = np.broadcast_to(base, (h, w, 3)).astype(np.float32)
    if rng.random() < 0.4:  # wallpaper stripes
        xx = np.arange(w, dtype=np.float32)
        img = img + 12 * np.sin(2 * np.pi * xx / rng.uniform(5, 12))[None, :,
                                                                       None]
    return img + rng.normal(0, 3, (h, w, 1))


def _building(rng: np.random.Generator, h: int, w: int, x0: int,
              y0: int) -> np.ndarray:
    """Brick or concrete facade with a window grid anchored at (x0, y0)."""
    bases = ((150, 75, 55), (165, 160, 150), (115, 105, 95), (190, 170, 135))
    base = np.array(bases[rng.integers(len(bases))], np.float32)
    base = base + rng.uniform(-20, 20, 3)
    window = base * 0.35 if rng.random() < 0.6 else _color(
        rng, (60, 90, 120), (110, 140, 170))
    cw, ch = rng.uniform(7, 14), rng.uniform(8, 15)
    fx = ((np.arange(w, dtype=np.float32) - x0) / cw) % 1
    fy = ((np.arange(h, dtype=np.float32) - y0) / ch) % 1
    is_window = (((fx > 0.3) & (fx < 0.8))[None, :]
                 & ((fy > 0.3) & (fy < 0.8))[:, None])
    return _mix(base, window, is_window) + rng.normal(0, 5, (h, w, 1))


def _floor(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    c0 = _color(rng, (90, 60, 30), (170, 130, 90))
    if rng.random() < 0.5:  # planks with per-plank brightness
        plank = rng.uniform(5, 10)
        rows = (np.arange(h) / plank).astype(int)
        shade = rng.uniform(0.8, 1.15, rows.max() + 1)[rows]
        img = c0 * shade[:, None, None] * np.ones((1, w, 1), np.float32)
    else:  # tiles
        c1 = c0 * rng.uniform(0.6, 0.85)
        cell = rng.uniform(8, 16)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (np.floor(xx / cell) + np.floor(yy / cell)) % 2
        img = _mix(c0, c1, t)
    return img.astype(np.float32) + rng.normal(0, 5, (h, w, 1))


def _foliage(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    dark = _color(rng, (10, 45, 10), (45, 90, 40))
    light = _color(rng, (60, 120, 30), (120, 190, 90))
    t = 0.6 * _smooth_noise(rng, h, w, 3) + 0.4 * _smooth_noise(rng, h, w, 12)
    return _mix(dark, light, t) + rng.normal(0, 6, (h, w, 1))


def _asphalt(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = _color(rng, (60, 60, 60), (105, 100, 100))
    img = base + 25 * (_smooth_noise(rng, h, w, 4)[..., None] - 0.5)
    return img + rng.normal(0, 6, (h, w, 1))


def _paving(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    c0 = _color(rng, (135, 120, 120), (190, 175, 175))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cell = rng.uniform(4, 8)
    joints = ((xx % cell) < 1) | ((yy % cell) < 1)
    return _mix(c0, c0 * 0.75, joints) + rng.normal(0, 4, (h, w, 1))


def _solid(rng: np.random.Generator, h: int, w: int,
           color: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(color, np.float32),
                           (h, w, 3)) + rng.normal(0, 3, (h, w, 1))


def _other(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Texture for unlabelled ('other'/ignore) regions."""
    return _random_texture(rng, h, w, _color(rng, 0, 255),
                           _color(rng, 0, 255))


# --------------------------------------------------------------------------
# Geometry.
# --------------------------------------------------------------------------


def _raster(poly: np.ndarray, h: int, w: int) -> np.ndarray:
    """Boolean mask of the pixels whose centre lies inside ``poly``.

    ``poly`` is ``(N, 2)`` in COCO coordinates (pixel ``(i, j)`` spans
    ``[j, j + 1) x [i, i + 1)``), tested with the even-odd rule. This is the
    rule pycocotools approximates when it rasterises an annotation, so the
    painted shape and the decoded annotation agree up to its 1/5-pixel
    boundary quantisation. (``cv2.fillPoly`` also fills pixels the boundary
    merely touches, one pixel too many on small shapes.)
    """
    mask = np.zeros((h, w), bool)
    c0, r0 = np.floor(poly.min(0)).astype(int).clip(0)
    c1, r1 = np.ceil(poly.max(0)).astype(int) + 1
    c1, r1 = min(c1, w), min(r1, h)
    if c0 >= c1 or r0 >= r1:
        return mask
    yy = np.arange(r0, r1, dtype=np.float64)[None, :, None] + 0.5
    xx = np.arange(c0, c1, dtype=np.float64)[None, None, :] + 0.5
    xa, ya = poly[:, 0, None, None], poly[:, 1, None, None]
    nxt = np.roll(poly, -1, axis=0)
    xb, yb = nxt[:, 0, None, None], nxt[:, 1, None, None]
    spans = (ya > yy) != (yb > yy)  # edge crosses this pixel row
    dy = np.where(yb == ya, 1.0, yb - ya)
    x_cross = xa + (yy - ya) * (xb - xa) / dy
    crossings = (spans & (xx < x_cross)).sum(0)
    mask[r0:r1, c0:c1] = crossings % 2 == 1
    return mask


def _paint(img: np.ndarray, lab: np.ndarray, mask: np.ndarray, label: int,
           texture: np.ndarray) -> None:
    img[mask] = texture[mask]
    lab[mask] = label


def _ellipse_mask(h: int, w: int, cx: float, cy: float, rx: float,
                  ry: float) -> np.ndarray:
    yy, xx = np.ogrid[0:h, 0:w]
    return ((xx - cx) / rx)**2 + ((yy - cy) / ry)**2 <= 1


def _rect_mask(h: int, w: int, x0: float, y0: float, x1: float,
               y1: float) -> np.ndarray:
    yy, xx = np.ogrid[0:h, 0:w]
    return (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)


def _blob_mask(rng: np.random.Generator, h: int, w: int, cx: float,
               cy: float, r: float) -> np.ndarray:
    """Union of a few ellipses: a tree crown or bush."""
    mask = np.zeros((h, w), bool)
    for _ in range(rng.integers(3, 6)):
        mask |= _ellipse_mask(h, w, cx + rng.uniform(-r, r) * 0.6,
                              cy + rng.uniform(-r, r) * 0.4,
                              r * rng.uniform(0.5, 0.9),
                              r * rng.uniform(0.4, 0.8))
    return mask


def _random_polygon_mask(rng: np.random.Generator, h: int,
                         w: int) -> np.ndarray:
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = rng.uniform(6, 0.2 * min(h, w))
    angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(4, 8)))
    radii = r * rng.uniform(0.5, 1.0, angles.size)
    poly = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)],
                    1)
    return _raster(poly, h, w)


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


# --------------------------------------------------------------------------
# Renderers (one image each; public so tests can recompute exact masks).
# --------------------------------------------------------------------------

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
    rng = _rng(seed, 'coco', split, index)
    w, h = _COCO_SIZES[rng.integers(len(_COCO_SIZES))]
    img = _random_texture(rng, h, w, _color(rng, 0, 255), _color(rng, 0, 255))
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
            mask = _raster(poly, h, w)
            if not (occupied[mask]).any():
                break
        else:
            continue  # image too crowded for this one; fewer objects is fine
        occupied |= cv2.dilate(mask.astype(np.uint8), np.ones((5, 5),
                                                              np.uint8))
        # Object colour far from the background under it keeps edges visible.
        under = img[mask].mean(0)
        for _attempt in range(20):
            c0 = _color(rng, 0, 255)
            if np.linalg.norm(c0 - under) > 100:
                break
        c1 = (c0 + rng.uniform(-40, 40, 3)).clip(0, 255)
        fill = _random_texture(rng, h, w, c0, c1)
        img[mask] = fill[mask]
        objects.append(
            dict(category_id=category_id, polygon=poly, mask=mask))
    return _to_uint8(img), objects


_ADE_SIZES = ((160, 160), (192, 144), (144, 192), (176, 176))  # (w, h)


def render_ade_image(seed: int, split: str,
                     index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Render one ADE20K-format scene.

    Returns:
        tuple: RGB uint8 image ``(H, W, 3)`` and uint8 label map ``(H, W)``
        with 0 = other (ignored under reduce_zero_label) and
        ``1..len(TOY_ADE_CLASSES)`` the classes in ``TOY_ADE_CLASSES`` order.
    """
    rng = _rng(seed, 'ade20k', split, index)
    wall, building, sky, floor, tree = range(1, len(TOY_ADE_CLASSES) + 1)
    w, h = _ADE_SIZES[rng.integers(len(_ADE_SIZES))]
    img = np.zeros((h, w, 3), np.float32)
    lab = np.zeros((h, w), np.uint8)
    horizon = int(h * rng.uniform(0.35, 0.65))
    above = _rect_mask(h, w, 0, 0, w, horizon)
    if rng.random() < 0.4:  # indoor: wall, floor, windows onto the outside
        _paint(img, lab, above, wall, _wall(rng, h, w))
        _paint(img, lab, ~above, floor, _floor(rng, h, w))
        for _ in range(rng.integers(1, 3)):
            x0 = rng.uniform(0, w - 30)
            y0 = rng.uniform(0, max(horizon - 30, 1))
            x1 = x0 + rng.uniform(20, 50)
            y1 = min(y0 + rng.uniform(20, 45), horizon - 4)
            _paint(img, lab, _rect_mask(h, w, x0, y0, x1, y1), sky,
                   _sky(rng, h, w, int(y0), int(y1)))
            if rng.random() < 0.5:
                top = rng.uniform(y0, y1)
                _paint(img, lab, _rect_mask(h, w, x0, top, x1, y1), building,
                       _building(rng, h, w, int(x0), int(top)))
        num_trees = rng.integers(0, 2)
    else:  # outdoor: sky, ground, buildings on the horizon
        _paint(img, lab, above, sky, _sky(rng, h, w, 0, horizon))
        _paint(img, lab, ~above, floor, _floor(rng, h, w))
        for _ in range(rng.integers(1, 5)):
            x0 = rng.uniform(-10, w - 15)
            x1 = x0 + rng.uniform(20, 60)
            top = rng.uniform(0.08 * h, horizon - 8)
            _paint(img, lab,
                   _rect_mask(h, w, x0, top, x1,
                              horizon + rng.uniform(0, 6)), building,
                   _building(rng, h, w, int(x0), int(top)))
        num_trees = rng.integers(1, 4)
    for _ in range(num_trees):
        cx, r = rng.uniform(0, w), rng.uniform(10, 28)
        cy = horizon - rng.uniform(0, 1.2) * r
        trunk = _rect_mask(h, w, cx - r / 8, cy, cx + r / 8, cy + 1.5 * r)
        _paint(img, lab, trunk, tree,
               _solid(rng, h, w, _color(rng, (70, 45, 25), (110, 80, 50))))
        _paint(img, lab, _blob_mask(rng, h, w, cx, cy, r), tree,
               _foliage(rng, h, w))
    for _ in range(rng.integers(0, 3)):  # unlabelled clutter
        _paint(img, lab, _random_polygon_mask(rng, h, w), 0, _other(rng, h, w))
    return _to_uint8(img), lab


_CS_SIZE = (256, 128)  # (width, height), the 2:1 aspect of Cityscapes


def render_cityscapes_image(seed: int, split: str,
                            index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Render one Cityscapes-format street scene.

    Returns:
        tuple: RGB uint8 image ``(H, W, 3)`` and uint8 trainId map ``(H, W)``
        with values in ``TOY_CITYSCAPES_TRAIN_IDS`` or 255 (ignore).
    """
    rng = _rng(seed, 'cityscapes', split, index)
    road, sidewalk, building, vegetation, sky, car = TOY_CITYSCAPES_TRAIN_IDS
    w, h = _CS_SIZE
    img = np.zeros((h, w, 3), np.float32)
    lab = np.full((h, w), 255, np.uint8)
    horizon = int(h * rng.uniform(0.38, 0.5))
    _paint(img, lab, _rect_mask(h, w, 0, 0, w, horizon), sky,
           _sky(rng, h, w, 0, horizon))
    x = rng.uniform(-20, 0)
    while x < w:  # street front: buildings with occasional gaps
        width = rng.uniform(20, 60)
        if rng.random() < 0.75:
            top = rng.uniform(0.03 * h, horizon - 6)
            _paint(img, lab, _rect_mask(h, w, x, top, x + width, horizon + 4),
                   building, _building(rng, h, w, int(x), int(top)))
        x += width
    for _ in range(rng.integers(1, 4)):
        cx = rng.choice([rng.uniform(0, 0.3 * w), rng.uniform(0.7 * w, w)])
        r = rng.uniform(8, 20)
        _paint(img, lab,
               _blob_mask(rng, h, w, cx, horizon - rng.uniform(0, r), r),
               vegetation, _foliage(rng, h, w))
    ground = _rect_mask(h, w, 0, horizon, w, h)
    _paint(img, lab, ground, sidewalk, _paving(rng, h, w))
    vp = rng.uniform(0.4, 0.6) * w  # vanishing point on the horizon
    left, right = rng.uniform(-0.3, 0.12) * w, rng.uniform(0.88, 1.3) * w
    road_poly = np.array([[vp - 4, horizon], [vp + 4, horizon], [right, h],
                          [left, h]])
    road_mask = _raster(road_poly, h, w) & ground
    _paint(img, lab, road_mask, road, _asphalt(rng, h, w))
    # Dashed centre line: painted on the road, labelled road like the real set.
    dash = np.zeros((h, w), bool)
    for y in range(horizon + 4, h, 10):
        t = (y - horizon) / (h - horizon)
        cx = vp + t * ((left + right) / 2 - vp)
        dash |= _rect_mask(h, w, cx - 0.5 - 2 * t, y, cx + 0.5 + 2 * t, y + 5)
    _paint(img, lab, dash & road_mask, road,
           _solid(rng, h, w, (225, 225, 215)))
    # Cars, far to near so nearer ones occlude.
    bottoms = np.sort(rng.uniform(horizon + 8, h + 5, rng.integers(0, 5)))
    for yb in bottoms:
        t = (yb - horizon) / (h - horizon)
        lo, hi = vp + t * (left - vp), vp + t * (right - vp)
        cw = (10 + 60 * t) * rng.uniform(0.8, 1.2)
        cx = rng.uniform(lo + cw / 2, max(hi - cw / 2, lo + cw / 2 + 1))
        ch = cw * rng.uniform(0.45, 0.6)
        body = _rect_mask(h, w, cx - cw / 2, yb - 0.6 * ch, cx + cw / 2,
                          yb - 0.1 * ch)
        cabin = _rect_mask(h, w, cx - 0.3 * cw, yb - ch, cx + 0.3 * cw,
                           yb - 0.55 * ch)
        wheels = (_ellipse_mask(h, w, cx - 0.3 * cw, yb - 0.12 * ch,
                                0.12 * cw, 0.12 * ch)
                  | _ellipse_mask(h, w, cx + 0.3 * cw, yb - 0.12 * ch,
                                  0.12 * cw, 0.12 * ch))
        paint = _color(rng, 20, 235)
        _paint(img, lab, body | cabin, car, _solid(rng, h, w, paint))
        _paint(img, lab, cabin & _rect_mask(h, w, 0, yb - 0.92 * ch, w, h),
               car, _solid(rng, h, w, (40, 50, 60)))
        _paint(img, lab, wheels, car, _solid(rng, h, w, (15, 15, 15)))
    if rng.random() < 0.5:  # ego-vehicle hood: ignored, as in Cityscapes
        hood = _ellipse_mask(h, w, w / 2, h + 0.05 * h, 0.7 * w, 0.14 * h)
        _paint(img, lab, hood, 255,
               _solid(rng, h, w, _color(rng, 10, 80)))
    return _to_uint8(img), lab


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.round(img).clip(0, 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Writers.
# --------------------------------------------------------------------------


def _imwrite(path: Path, rgb_or_label: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == '.jpg':
        # No chroma subsampling: 4:2:0 smears saturated edges by a pixel
        # (mean error 6, up to 27 grey levels on noisy textures).
        params = [
            cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444
        ]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, 6]
    data = rgb_or_label[..., ::-1] if rgb_or_label.ndim == 3 else rgb_or_label
    ok, buf = cv2.imencode(path.suffix, np.ascontiguousarray(data), params)
    if not ok:
        raise RuntimeError(f'OpenCV could not encode {path}')
    path.write_bytes(buf.tobytes())


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
            _imwrite(out / split / file_name, img)
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


def _write_ade(out: Path, seed: int, num_train: int, num_val: int) -> None:
    for split, folder, num in (('train', 'training', num_train),
                               ('val', 'validation', num_val)):
        for index in range(num):
            img, lab = render_ade_image(seed, split, index)
            name = f'ADE_{split}_{index + 1:08d}'  # ADEChallenge naming
            _imwrite(out / 'images' / folder / f'{name}.jpg', img)
            _imwrite(out / 'annotations' / folder / f'{name}.png', lab)


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
            _imwrite(out / 'leftImg8bit' / split / city /
                     f'{stem}_leftImg8bit.png', img)
            gt = out / 'gtFine' / split / city
            _imwrite(gt / f'{stem}_gtFine_labelTrainIds.png', train_ids)
            # labelIds are what the official cityscapesscripts eval reads.
            _imwrite(gt / f'{stem}_gtFine_labelIds.png', lut[train_ids])


# --------------------------------------------------------------------------
# Idempotent build: stamp file, temporary folder, atomic swap.
# --------------------------------------------------------------------------


def _count_files(path: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(path))


def _read_stamp(path: Path) -> dict:
    try:
        return json.loads((path / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return {}


def _build(name: str, folder: str, writer: Callable[..., None],
           root: PathLike, seed: int, num_train: int, num_val: int,
           force: bool) -> ToyDataResult:
    for key, value in (('num_train', num_train), ('num_val', num_val)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f'{key} must be a positive int, got {value!r}')
    _rng(seed, name, 'train', 0)  # validates the seed before touching disk
    out = Path(root) / folder
    wanted = dict(
        generator='hvt_mm.utils.toy_data',
        version=GENERATOR_VERSION,
        dataset=name,
        seed=int(seed),
        num_train=int(num_train),
        num_val=int(num_val))
    stamp = _read_stamp(out)
    if not force and out.exists():
        params = {k: v for k, v in stamp.items() if k != 'num_files'}
        if params == wanted and stamp.get('num_files') == _count_files(
                out) - 1:
            return ToyDataResult(name, out, False, 0.0)
        if not stamp and any(out.iterdir()):
            raise FileExistsError(
                f'{out} exists but has no {STAMP_NAME}, so it was not made '
                'by hvt_mm.utils.toy_data; pass force=True (--force) to '
                'replace it, or choose another root (--root).')
    start = time.perf_counter()
    tmp = out.with_name(f'.{folder}.tmp')
    if tmp.exists():
        shutil.rmtree(tmp)  # leftover of an interrupted run
    tmp.mkdir(parents=True)
    writer(tmp, int(seed), int(num_train), int(num_val))
    wanted['num_files'] = _count_files(tmp)
    (tmp / STAMP_NAME).write_text(json.dumps(wanted, indent=2) + '\n')
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return ToyDataResult(name, out, True, time.perf_counter() - start)


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
    return _build('coco', 'toy_coco', _write_coco, root, seed, num_train,
                  num_val, force)


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
    return _build('ade20k', 'toy_ade', _write_ade, root, seed, num_train,
                  num_val, force)


def make_cityscapes(root: PathLike = 'data',
                    seed: int = 0,
                    num_train: int = 60,
                    num_val: int = 15,
                    force: bool = False) -> ToyDataResult:
    """Write ``<root>/toy_cityscapes`` in the Cityscapes layout.

    Layout: ``leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png`` and
    ``gtFine/{train,val}/<city>/<name>_gtFine_{labelTrainIds,labelIds}.png``.
    """
    return _build('cityscapes', 'toy_cityscapes', _write_cityscapes, root,
                  seed, num_train, num_val, force)


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
