"""200 consecutive eval inferences of mixed sizes through one backbone
(what ``tools/test.py`` does: eval mode, no autograd) keep memory flat.

FasterViT caches its MLP position encodings per geometry
(``hvt_mm/models/layers/pos_mlp.py``); those caches must stay LRU-bounded.
The toy sizes give its carrier-token attention only a few geometries, so the
bound is lowered to 2 here to make eviction happen all the time.
"""
import copy
import gc
import random
from collections import defaultdict

import pytest
import torch

from hvt_mm.models.layers.pos_mlp import _GeometryCachedMLP
from tests.backbone_families import FASTERVIT, LIGHTVIT

pytestmark = pytest.mark.usefixtures('single_thread')

RUNS, WARMUP = 200, 48
CACHE_SIZE = 2
RSS_GROWTH_MB = 12  # measured: about 1 MB after warm-up on CPU


def _sizes():
    """24 sizes (odd, non-square, both orientations), each seen twice in
    the warm-up, then shuffled repeats; every shape is known after the
    warm-up, so allocator and oneDNN caches have settled by then."""
    rng = random.Random(0)
    pool = [(65, 97), (97, 65), (64, 64), (49, 161), (161, 49)]
    pool += [(rng.randrange(48, 161), rng.randrange(48, 161))
             for _ in range(24 - len(pool))]
    order = []
    while len(order) < RUNS:
        rng.shuffle(pool)
        order += pool
    return order[:RUNS]


def _rss_mb() -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('no VmRSS in /proc/self/status')


def _live_tensors() -> int:
    gc.collect()
    # type(), not isinstance(): some lazy module objects warn on __class__
    return sum(1 for obj in gc.get_objects()
               if issubclass(type(obj), torch.Tensor))


@pytest.mark.slow
@pytest.mark.parametrize('family', [FASTERVIT, LIGHTVIT], ids=lambda f: f.name)
def test_memory_stays_flat_over_mixed_sizes(family, monkeypatch):
    monkeypatch.setattr(_GeometryCachedMLP, 'cache_size', CACHE_SIZE)
    geometries = defaultdict(set)
    cached = _GeometryCachedMLP._cached

    def recording(module, key, compute):
        geometries[id(module)].add(key)
        return cached(module, key, compute)

    monkeypatch.setattr(_GeometryCachedMLP, '_cached', recording)
    torch.manual_seed(0)
    model = family.cls(arch=copy.deepcopy(family.cases[0].arch)).eval()
    caches = [m for m in model.modules() if isinstance(m, _GeometryCachedMLP)]

    rss = []
    with torch.no_grad():
        for run, (h, w) in enumerate(_sizes()):
            outs = model(torch.randn(1, 3, h, w))
            assert outs[0].shape[-2:] == ((h + 3) // 4, (w + 3) // 4)
            del outs
            assert all(len(c._cache) <= CACHE_SIZE for c in caches)
            if run + 1 == WARMUP:
                tensors = _live_tensors()
            if run + 1 >= WARMUP:
                rss.append(_rss_mb())

    # Nothing accumulates per call: no new live tensors after the warm-up.
    assert _live_tensors() <= tensors
    assert max(rss) - rss[0] < RSS_GROWTH_MB, (rss[0], max(rss))
    if family is FASTERVIT:
        assert caches, 'FasterViT should have position-encoding caches'
        # More geometries than the bound went through some cache (so
        # entries were evicted), and every cache is in use.
        assert max(len(g) for g in geometries.values()) > CACHE_SIZE
        assert all(c._cache for c in caches)


def test_default_cache_bound():
    assert _GeometryCachedMLP.cache_size == 16
