"""Official checkpoint layouts, read from ``tests/data/keys``.

The key lists record every entry (name and shape) of the official
checkpoints (sources and formats: ``tests/data/keys/README.md``); state
dicts built from them check names and shapes without downloading weights.
Three line formats exist: ``name [shape] kind`` (FasterViT),
``name (shape)`` (FastViT, LightViT) and gzip files with a summary line
and ``    name [shape]`` (EfficientViT).
"""
import gzip
import math
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Tuple

import torch

KEY_DIR = Path(__file__).parent / 'data' / 'keys'
Shapes = Dict[str, Tuple[int, ...]]
_LINE = re.compile(r'^\s*(\S+) [\[(]([\d, ]*)[\])]( \S+)?$')


def official_shapes(name: str) -> Shapes:
    """``{entry: shape}`` of ``tests/data/keys/<name>.txt[.gz]``."""
    plain = KEY_DIR / f'{name}.txt'
    if plain.is_file():
        lines = plain.read_text().splitlines()
    else:
        with gzip.open(KEY_DIR / f'{name}.txt.gz', 'rt') as f:
            lines = f.read().splitlines()
        count = int(re.search(r'n_keys=(\d+)', lines.pop(0)).group(1))
        assert len(lines) == count, (name, len(lines), count)
    shapes = OrderedDict()
    for line in filter(str.strip, lines):
        match = _LINE.match(line)
        assert match, f'unparsable line in {name}: {line!r}'
        shapes[match.group(1)] = tuple(
            int(d) for d in match.group(2).split(',') if d.strip())
    return shapes


def random_state(shapes: Shapes, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Well-conditioned random tensors: BN statistics near (0, 1), norm
    weights near 1, other weights scaled by ``fan_in ** -0.5``; integer
    buffers (counters, derived indices) are zeros."""
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for key, shape in shapes.items():
        if key.endswith(('num_batches_tracked', 'relative_position_index')):
            state[key] = torch.zeros(shape, dtype=torch.long)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        elif len(shape) <= 1 and key.endswith('weight'):
            state[key] = 1 + 0.2 * torch.randn(shape, generator=gen)
        elif len(shape) <= 1:
            state[key] = 0.1 * torch.randn(shape, generator=gen)
        else:
            fan_in = math.prod(shape[1:]) if len(shape) > 2 else shape[-1]
            state[key] = torch.randn(shape, generator=gen) * fan_in**-0.5
    return state


def meta_state(shapes: Shapes) -> Dict[str, torch.Tensor]:
    """Storage-free tensors of the given shapes (for layout checks)."""
    return OrderedDict(
        (k, torch.empty(s, device='meta')) for k, s in shapes.items())


def shapes_of(state: Dict[str, torch.Tensor]) -> Shapes:
    return {k: tuple(v.shape) for k, v in state.items()}
