"""Throughput of whole mmseg segmentors and mmdet detectors built from
configs (engine of ``tools/analysis_tools/benchmark_segmentor.py``).

What is timed: ``model(inputs, data_samples, mode='tensor')`` under
``torch.no_grad()`` in eval mode on a random, already normalised
``(batch, 3, H, W)`` tensor. For mmseg that is backbone + neck + decode head
logits (no auxiliary head, no resize to the input, no data preprocessor);
for mmdet it is the raw head outputs (two-stage detectors also run the RPN
proposal step they need, but no final NMS / mask pasting). The model is
built without weights (:mod:`.model_builder`) and measured by
:func:`.timing.measure_step`; report files come from :mod:`.report`.

The *scaling exponent* between two sizes is
``log(t2 / t1) / log(p2 / p1)`` for seconds per image ``t`` and pixel
counts ``p``: 1.0 means time grows linearly with the pixel count, 2.0
quadratically (global attention), below 1.0 that small inputs leave the
hardware idle.
"""
import math
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config

from .flops import fake_data_samples
from .isolation import error_text
from .model_builder import build_model_from_config
from .report import BATCH, INPUT, MEMORY_PARAMS_NOTE, SPEED, record_table
from .timing import measure_step, resolve_device

DEFAULT_SIZES = ('512x512', '1024x2048')
QUICK_SIZES = ('64x64', '128x128')
QUICK_TIMING = dict(warmup=1, iters=1, repeats=1)


def scaling_exponent(pixels: Tuple[int, int],
                     seconds: Tuple[float, float]) -> Optional[float]:
    """``log(t2/t1) / log(p2/p1)`` for two (pixel count, seconds per image)
    points; None when the pixel counts are equal (no slope)."""
    (p1, p2), (t1, t2) = pixels, seconds
    if min(p1, p2) <= 0 or min(t1, t2) <= 0:
        raise ValueError(f'pixel counts {pixels} and times {seconds} must '
                         'be positive')
    if p1 == p2:
        return None
    return math.log(t2 / t1) / math.log(p2 / p1)


def fuse_batchnorm(model: nn.Module) -> int:
    """Fold eval-mode BN into the preceding conv (mmcv's ``fuse_conv_bn``);
    return how many BN layers were folded."""
    from mmcv.cnn import fuse_conv_bn

    def count() -> int:
        return sum(
            isinstance(m, nn.modules.batchnorm._BatchNorm)
            for m in model.modules())

    before = count()
    fuse_conv_bn(model)
    return before - count()


def make_forward(model: nn.Module, height: int, width: int, batch: int,
                 device: torch.device) -> Callable[[], None]:
    """One benchmark iteration: the network forward on random inputs
    (detectors also get image metainfo, which their RPN needs)."""
    torch.manual_seed(0)
    inputs = torch.randn(batch, 3, height, width, device=device)
    samples = fake_data_samples(model, batch, height, width)

    def step() -> None:
        with torch.no_grad():
            model(inputs, samples, mode='tensor')

    return step


def add_exponents(records: List[Dict]) -> Optional[Dict]:
    """Set ``exponent_vs_smallest`` on the successful records of ONE config
    (vs. its smallest pixel count) and return the smallest -> largest
    summary, or None with fewer than two distinct sizes."""
    done = [r for r in records if r.get('error') is None]
    if not done:
        return None
    pixels = [r['height'] * r['width'] for r in done]
    small = done[pixels.index(min(pixels))]
    large = done[pixels.index(max(pixels))]
    for r in done:
        r['exponent_vs_smallest'] = scaling_exponent(
            (small['height'] * small['width'], r['height'] * r['width']),
            (1.0 / small['img_s'], 1.0 / r['img_s']))
    if large['exponent_vs_smallest'] is None:
        return None
    return dict(
        config=small['config'],
        smallest=f"{small['height']}x{small['width']}",
        largest=f"{large['height']}x{large['width']}",
        exponent=large['exponent_vs_smallest'])


def benchmark_config(
        cfg: Config,
        sizes: Sequence[Tuple[int, int]],
        batch: int,
        device_name: str,
        warmup: int,
        iters: int,
        repeats: int,
        fuse_conv_bn: bool = False,
        log: Callable[[str],
                      None] = print) -> Tuple[List[Dict], Optional[Dict]]:
    """Records (one per size) and the scaling summary of one config
    (``cfg.filename`` names it; load it with ``launch.load_config``).

    Failures (build errors, out of memory) become records with ``error``
    set, so the remaining sizes and configs still run.
    """
    path = cfg.filename or '<config>'
    name = osp.splitext(osp.basename(path))[0]
    base = dict(
        config=name,
        config_path=path,
        batch=batch,
        device=device_name,
        warmup=warmup,
        iters=iters,
        repeats=repeats,
        fuse_conv_bn=fuse_conv_bn)
    try:
        device = resolve_device(device_name)
        model, scope = build_model_from_config(cfg)
        fused = fuse_batchnorm(model) if fuse_conv_bn else 0
        model.to(device)
        base.update(
            model=type(model).__name__,
            scope=scope,
            fused_bn=fused,
            params_m=sum(p.numel() for p in model.parameters()) / 1e6)
    except Exception as exc:  # reported per row; other configs go on
        error = error_text(exc)
        log(f'{name}: error: {error}')
        return [dict(base, height=h, width=w, error=error)
                for h, w in sizes], None
    records = []
    for height, width in sizes:
        record = dict(
            base,
            height=height,
            width=width,
            error=None,
            exponent_vs_smallest=None,
            num_threads=torch.get_num_threads())
        try:
            # CPU peak memory needs a fresh process per case (see
            # memory.py); all sizes share one model here, so CPU reports None.
            step = make_forward(model, height, width, batch, device)
            record.update(
                measure_step(step, device, warmup, iters, repeats, batch))
            log(f"{name} {height}x{width}:{batch}: "
                f"{record['img_s']:.2f} img/s")
        except Exception as exc:  # e.g. out of memory at the large size
            record['error'] = error_text(exc)
            log(f"{name} {height}x{width}:{batch}: error: {record['error']}")
        records.append(record)
    return records, add_exponents(records)


def segmentor_table(records: Sequence[Dict]) -> str:
    """Markdown table of :func:`benchmark_config` records."""
    return record_table(records,
                        [('config', 'l', 'config', None), INPUT, BATCH, *SPEED,
                         ('time exponent vs smallest', 'r',
                          'exponent_vs_smallest', 3), *MEMORY_PARAMS_NOTE])
