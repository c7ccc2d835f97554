"""Eager inference speed of the original implementations, bare backbones.

Runs in the virtualenv of ``setup_originals_venv.sh`` (torch with
torchvision, NVlabs' ``fastervit`` package, timm), never in hvt_mm's own:
``benchmark_suite.py --originals-python .venv-originals/bin/python`` calls
it and puts the numbers next to ours. It imports nothing from hvt_mm (any
hvt_mm module runs ``hvt_mm/__init__.py``, which needs mmengine and mmcv),
so it has its own copy of :mod:`hvt_mm.engine.timing`'s CPU loop.

Timed: ``model.forward_features(x)`` (the classification trunk without its
head) in eval mode under ``torch.no_grad()``, random weights, median img/s.
LightViT has no PyPI package and is not measured.

Usage: python benchmark_originals.py '[["faster_vit_0", 224, 224, 8]]'
    --warmup 1 --iters 1 --repeats 3 [--threads 2]
Prints one ``HVT_ORIGINALS_RESULT {json}`` line per case.
"""
import argparse
import json
import statistics
import sys
import time
from typing import Callable

import torch

PREFIX = 'HVT_ORIGINALS_RESULT '


def median_img_s(step: Callable[[], None], batch: int, warmup: int, iters: int,
                 repeats: int) -> float:
    """Median img/s of ``repeats`` runs of ``iters`` calls after ``warmup``
    (as :func:`hvt_mm.engine.timing.time_runs`, on CPU)."""
    for _ in range(warmup):
        step()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            step()
        rates.append(iters * batch / (time.perf_counter() - start))
    return statistics.median(rates)


def build(name: str, height: int, width: int) -> torch.nn.Module:
    """The original model ``name`` for ``height x width`` inputs."""
    if name.startswith('faster_vit_'):
        from fastervit import create_model

        # The original fixes its carrier-token geometry at construction:
        # square inputs whose stage-2/3 maps are window multiples only.
        if height != width:
            raise ValueError('the original FasterViT needs square inputs')
        return create_model(f'{name}_224', pretrained=False, resolution=height)
    import timm
    return timm.create_model(name, pretrained=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('cases', help='JSON [[name, height, width, batch]]')
    for name, default in (('warmup', 1), ('iters', 1), ('repeats', 3)):
        parser.add_argument(f'--{name}', type=int, default=default)
    parser.add_argument('--threads', type=int)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    for name, height, width, batch in json.loads(args.cases):
        record = dict(
            original_name=name,
            height=height,
            width=width,
            batch=batch,
            torch=torch.__version__,
            num_threads=torch.get_num_threads(),
            error=None)
        try:
            torch.manual_seed(0)
            model = build(name, height, width).eval()
            x = torch.randn(batch, 3, height, width)

            def step(model=model, x=x) -> None:
                with torch.no_grad():
                    model.forward_features(x)

            record['img_s'] = median_img_s(step, batch, args.warmup,
                                           args.iters, args.repeats)
        except Exception as exc:  # reported, the other cases go on
            record['error'] = f'{type(exc).__name__}: {exc}'[:300]
        print(PREFIX + json.dumps(record), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
