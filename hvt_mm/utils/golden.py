"""Golden fixtures: outputs of the original implementations, as facts.

``tools/golden/make_golden_fixtures.py`` builds an original model from its
own repository code, gives it the weights :func:`seeded_state_dict` makes
from a seed (:func:`add_aliases` for tensors with two names), runs a seeded
input and stores the seed, the key list, the aliases and (subsampled)
outputs in ``tests/data/golden/``. The tests rebuild the same weights
(:func:`fixture_weights`), convert them with hvt_mm's converters and
compare hvt_mm's outputs. This module depends on torch only, so the
generator can load it beside an original repository's environment.
"""
import math
from typing import Dict, Sequence, Tuple

import torch

Shapes = Sequence[Tuple[str, Sequence[int]]]
#: Elements kept of each stored output (evenly strided).
KEPT_ELEMENTS = 4096


def seeded_state_dict(shapes: Shapes, seed: int) -> Dict[str, torch.Tensor]:
    """Random float32 weights for ``(name, shape)`` pairs, from ``seed``.

    Scaled so activations stay of order one through deep networks:
    matrices and kernels ``N(0, 1/fan_in)``, biases ``N(0, 0.02)``, norm
    scales ``1 + N(0, 0.1)``, layer scales ``N(0, 0.2)``, BN means
    ``N(0, 0.1)`` and variances ``U(0.5, 1.5)``. Entries are drawn in
    the given order from one generator, so the same list and seed give the
    same tensors anywhere.
    """
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in shapes:
        shape = tuple(shape)
        leaf = name.rsplit('.', 1)[-1]
        if leaf == 'num_batches_tracked':
            state[name] = torch.tensor(0)
            continue
        noise = torch.randn(shape, generator=gen)
        if leaf == 'running_var':
            tensor = 0.5 + torch.rand(shape, generator=gen)
        elif leaf == 'running_mean':
            tensor = 0.1 * noise
        elif _is_layer_scale(name):
            tensor = 0.2 * noise
        elif len(shape) >= 2:
            fan_in = math.prod(shape[1:])
            tensor = noise / math.sqrt(fan_in)
        elif leaf == 'weight':  # a norm's scale
            tensor = 1 + 0.1 * noise
        else:
            tensor = 0.02 * noise
        state[name] = tensor
    return state


def _is_layer_scale(name: str) -> bool:
    """Residual-branch scales (any shape): small, as trained ones are."""
    leaf = name.rsplit('.', 1)[-1]
    return 'layer_scale' in name or leaf.startswith('gamma')


def add_aliases(state: Dict[str, torch.Tensor],
                aliases: Dict[str, str]) -> Dict[str, torch.Tensor]:
    """Give each alias (a second name of one tensor in the original
    model) its tensor, in place; returns ``state``."""
    for alias, name in aliases.items():
        state[alias] = state[name]
    return state


def apply_overrides(state: Dict[str, torch.Tensor],
                    overrides: Dict[str, dict]) -> Dict[str, torch.Tensor]:
    """Set ``state[key][rows] = value`` in place for each ``key: dict(rows,
    value)`` (a fixture's ``bias_overrides``); returns ``state``."""
    for key, override in overrides.items():
        state[key][override['rows']] = override['value']
    return state


def fixture_weights(fixture: dict) -> Dict[str, torch.Tensor]:
    """The official-layout weights a fixture's outputs were computed with:
    seeded, aliased and overridden as the generator did."""
    state = seeded_state_dict(fixture['keys'], fixture['weight_seed'])
    add_aliases(state, fixture['aliases'])
    return apply_overrides(state, fixture.get('bias_overrides', {}))


def seeded_input(shape: Sequence[int], seed: int) -> torch.Tensor:
    """A standard-normal input batch from ``seed``."""
    return torch.randn(
        tuple(shape), generator=torch.Generator().manual_seed(seed))


def subsample(tensor: torch.Tensor) -> torch.Tensor:
    """At most :data:`KEPT_ELEMENTS` evenly strided elements, flattened."""
    flat = tensor.detach().float().flatten()
    step = max(1, math.ceil(flat.numel() / KEPT_ELEMENTS))
    return flat[::step].clone()
