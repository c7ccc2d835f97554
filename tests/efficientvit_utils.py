"""Official EfficientViT key lists and random state dicts built from them.

``tests/data/keys/efficientvit_{cls,seg}_*.txt.gz`` record every tensor
name and shape of the official checkpoints (see the family spec).
"""
import gzip
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Tuple

import pytest
import torch

KEY_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'keys')
SEG_MODELS = ('b0_cityscapes', 'b1_cityscapes', 'b2_cityscapes',
              'b3_cityscapes', 'l1_cityscapes', 'l2_cityscapes', 'b1_ade20k',
              'b2_ade20k', 'b3_ade20k', 'l1_ade20k', 'l2_ade20k')
CLS_MODELS = ('b0', 'b1', 'b2', 'b3', 'l1', 'l2', 'l3')
_LINE = re.compile(r'^\s+(\S+) \[([\d, ]*)\]')


def official_shapes(kind: str, name: str) -> Dict[str, Tuple[int, ...]]:
    """``{key: shape}`` of official ``efficientvit_{kind}_{name}``."""
    path = osp.join(KEY_DIR, f'efficientvit_{kind}_{name}.txt.gz')
    shapes = OrderedDict()
    with gzip.open(path, 'rt') as f:
        header = f.readline()
        for line in f:
            match = _LINE.match(line)
            assert match, f'unparsable line in {path}: {line!r}'
            dims = match.group(2).replace(' ', '')
            shapes[match.group(1)] = tuple(int(d) for d in dims.split(',')
                                           if d)
    count = int(re.search(r'n_keys=(\d+)', header).group(1))
    assert len(shapes) == count, (path, len(shapes), count)
    return shapes


def random_state(shapes: Dict[str, Tuple[int, ...]],
                 seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random tensors with sensible BN statistics and scaled weights."""
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for key, shape in shapes.items():
        if key.endswith('num_batches_tracked'):
            state[key] = torch.tensor(7)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        elif key.endswith('running_mean'):
            state[key] = torch.randn(shape, generator=gen) * 0.1
        elif key.endswith('norm.weight'):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        elif len(shape) <= 1:
            state[key] = torch.randn(shape, generator=gen) * 0.1
        else:
            fan_in = 1
            for d in shape[1:]:
                fan_in *= d
            state[key] = torch.randn(shape, generator=gen) / fan_in**0.5
    return state


def reference_attention(qkv: torch.Tensor, dim: int,
                        eps: float = 1e-15) -> torch.Tensor:
    """LiteMLA core from its formula, per head and in float64:
    ``out_i = sum_j v_j (k_j . q_i) / (sum_j k_j . q_i + eps)``."""
    b, c, h, w = qkv.shape
    qkv = qkv.double().reshape(b, c // (3 * dim), 3 * dim, h * w)
    q, k, v = qkv[:, :, :dim], qkv[:, :, dim:2 * dim], qkv[:, :, 2 * dim:]
    q, k = q.clamp(min=0), k.clamp(min=0)
    scores = torch.einsum('bgdj,bgdi->bgji', k, q)  # key j, query i
    out = torch.einsum('bgdj,bgji->bgdi', v, scores)
    out = out / (scores.sum(2, keepdim=True) + eps)
    return out.reshape(b, -1, h, w)


def meta_state(shapes: Dict[str, Tuple[int, ...]]) -> Dict[str, torch.Tensor]:
    """Storage-free tensors of the given shapes (for layout checks)."""
    return OrderedDict((k, torch.empty(s, device='meta'))
                       for k, s in shapes.items())


def shapes_of(state: Dict[str, torch.Tensor]) -> Dict[str, Tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items()}


@pytest.fixture(autouse=True, scope='module')
def single_thread():
    """One intra-op thread: on a shared 2-core machine torch's default
    threads spin against each other (tiny convs run ~40x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
