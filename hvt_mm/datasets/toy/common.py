"""Drawing kit shared by the toy dataset formats: seeds, textures, shapes.

Every image comes from its own random stream seeded by ``(seed, dataset,
split, index)`` (:func:`image_rng`), so single images can be re-rendered
without the rest of the set. Textures return float32 RGB arrays of shape
``(H, W, 3)`` in [0, 255]; masks are boolean ``(H, W)`` arrays. Only numpy
and OpenCV are used.
"""
from typing import Sequence

import cv2
import numpy as np

# Part of every image's seed: changing them changes every generated file.
_DATASET_TAGS = {'coco': 1, 'ade20k': 2, 'cityscapes': 3}
_SPLIT_TAGS = {'train': 0, 'val': 1}


def image_rng(seed: int, dataset: str, split: str,
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


def random_texture(rng: np.random.Generator, h: int, w: int, c0: np.ndarray,
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


def random_color(rng: np.random.Generator, lo: Sequence[float],
                 hi: Sequence[float]) -> np.ndarray:
    return rng.uniform(lo, hi, size=3).astype(np.float32)


def sky_texture(rng: np.random.Generator, h: int, w: int, y0: int,
                y1: int) -> np.ndarray:
    """Vertical gradient (blue or overcast) from row y0 to y1 with clouds."""
    if rng.random() < 0.25:
        top = random_color(rng, (150, 150, 160), (190, 190, 200))
        bottom = top + rng.uniform(20, 45)
    else:
        top = random_color(rng, (30, 80, 170), (110, 160, 250))
        bottom = random_color(rng, (150, 190, 225), (210, 230, 255))
    rows = np.arange(h, dtype=np.float32)
    t = ((rows - y0) / max(y1 - y0, 1)).clip(0, 1)
    img = _mix(top, bottom, np.broadcast_to(t[:, None], (h, w)))
    clouds = (_smooth_noise(rng, h, w, rng.uniform(12, 30)) - 0.55).clip(0)
    return _mix(img,
                (245, 245, 245), clouds * 2.2) + rng.normal(0, 2, (h, w, 1))


def wall_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = random_color(rng, (150, 140, 130), (235, 230, 225))
    img = np.broadcast_to(base, (h, w, 3)).astype(np.float32)
    if rng.random() < 0.4:  # wallpaper stripes
        xx = np.arange(w, dtype=np.float32)
        img = img + 12 * np.sin(2 * np.pi * xx / rng.uniform(5, 12))[None, :,
                                                                     None]
    return img + rng.normal(0, 3, (h, w, 1))


def building_texture(rng: np.random.Generator, h: int, w: int, x0: int,
                     y0: int) -> np.ndarray:
    """Brick or concrete facade with a window grid anchored at (x0, y0)."""
    bases = ((150, 75, 55), (165, 160, 150), (115, 105, 95), (190, 170, 135))
    base = np.array(bases[rng.integers(len(bases))], np.float32)
    base = base + rng.uniform(-20, 20, 3)
    window = base * 0.35 if rng.random() < 0.6 else random_color(
        rng, (60, 90, 120), (110, 140, 170))
    cw, ch = rng.uniform(7, 14), rng.uniform(8, 15)
    fx = ((np.arange(w, dtype=np.float32) - x0) / cw) % 1
    fy = ((np.arange(h, dtype=np.float32) - y0) / ch) % 1
    is_window = (((fx > 0.3) & (fx < 0.8))[None, :]
                 & ((fy > 0.3) & (fy < 0.8))[:, None])
    return _mix(base, window, is_window) + rng.normal(0, 5, (h, w, 1))


def floor_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    c0 = random_color(rng, (90, 60, 30), (170, 130, 90))
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


def foliage_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    dark = random_color(rng, (10, 45, 10), (45, 90, 40))
    light = random_color(rng, (60, 120, 30), (120, 190, 90))
    t = 0.6 * _smooth_noise(rng, h, w, 3) + 0.4 * _smooth_noise(rng, h, w, 12)
    return _mix(dark, light, t) + rng.normal(0, 6, (h, w, 1))


def asphalt_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = random_color(rng, (60, 60, 60), (105, 100, 100))
    img = base + 25 * (_smooth_noise(rng, h, w, 4)[..., None] - 0.5)
    return img + rng.normal(0, 6, (h, w, 1))


def paving_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    c0 = random_color(rng, (135, 120, 120), (190, 175, 175))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cell = rng.uniform(4, 8)
    joints = ((xx % cell) < 1) | ((yy % cell) < 1)
    return _mix(c0, c0 * 0.75, joints) + rng.normal(0, 4, (h, w, 1))


def solid_texture(rng: np.random.Generator, h: int, w: int,
                  color: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(color, np.float32),
                           (h, w, 3)) + rng.normal(0, 3, (h, w, 1))


def other_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Texture for unlabelled ('other'/ignore) regions."""
    return random_texture(rng, h, w, random_color(rng, 0, 255),
                          random_color(rng, 0, 255))


# --------------------------------------------------------------------------
# Geometry.
# --------------------------------------------------------------------------


def raster(poly: np.ndarray, h: int, w: int) -> np.ndarray:
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


def paint(img: np.ndarray, lab: np.ndarray, mask: np.ndarray, label: int,
          texture: np.ndarray) -> None:
    img[mask] = texture[mask]
    lab[mask] = label


def ellipse_mask(h: int, w: int, cx: float, cy: float, rx: float,
                 ry: float) -> np.ndarray:
    yy, xx = np.ogrid[0:h, 0:w]
    return ((xx - cx) / rx)**2 + ((yy - cy) / ry)**2 <= 1


def rect_mask(h: int, w: int, x0: float, y0: float, x1: float,
              y1: float) -> np.ndarray:
    yy, xx = np.ogrid[0:h, 0:w]
    return (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)


def blob_mask(rng: np.random.Generator, h: int, w: int, cx: float, cy: float,
              r: float) -> np.ndarray:
    """Union of a few ellipses: a tree crown or bush."""
    mask = np.zeros((h, w), bool)
    for _ in range(rng.integers(3, 6)):
        mask |= ellipse_mask(h, w, cx + rng.uniform(-r, r) * 0.6,
                             cy + rng.uniform(-r, r) * 0.4,
                             r * rng.uniform(0.5, 0.9),
                             r * rng.uniform(0.4, 0.8))
    return mask


def random_polygon_mask(rng: np.random.Generator, h: int,
                        w: int) -> np.ndarray:
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = rng.uniform(6, 0.2 * min(h, w))
    angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(4, 8)))
    radii = r * rng.uniform(0.5, 1.0, angles.size)
    poly = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)],
                    1)
    return raster(poly, h, w)


def to_uint8(img: np.ndarray) -> np.ndarray:
    return np.round(img).clip(0, 255).astype(np.uint8)
