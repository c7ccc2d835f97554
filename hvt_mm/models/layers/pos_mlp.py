"""Continuous position encodings produced by small MLPs, for any grid size.

Both modules evaluate their MLP on coordinates of the *actual* token grid at
run time, so one set of weights serves every input size. Results are cached
per geometry only in eval mode without autograd and never while
``torch.compile`` traces (the encoding then becomes part of the graph); the
cache key includes the parameters' version counters and storage, so in-place
updates (optimizer steps, ``load_state_dict``) or moving the module never
return stale values, and ``train()`` clears it.

Where a geometry never changes (a stage's window), ``fixed()`` returns the
inference form: the encoding computed once and stored as a buffer
(:class:`FixedPositionBias`, :class:`FixedPositionEmbedding`).
"""
import math
from collections import OrderedDict
from typing import Callable, Hashable, Tuple

import torch
import torch.nn as nn

from .autocast import autocast_off

Size2d = Tuple[int, int]


class _GeometryCachedMLP(nn.Module):
    """Base class: a ``cpb_mlp`` (2 -> hidden -> out) plus an eval cache."""

    cache_size = 16

    def __init__(self, out_dims: int, hidden_dims: int = 512) -> None:
        super().__init__()
        # Names/indices match the FasterViT/SwinV2 checkpoints.
        self.cpb_mlp = nn.Sequential(
            nn.Linear(2, hidden_dims, bias=True), nn.ReLU(inplace=True),
            nn.Linear(hidden_dims, out_dims, bias=False))
        self._cache: 'OrderedDict[Hashable, torch.Tensor]' = OrderedDict()

    def train(self, mode: bool = True) -> '_GeometryCachedMLP':
        self._cache.clear()
        return super().train(mode)

    def _mlp_no_autocast(self, coords: torch.Tensor) -> torch.Tensor:
        """The MLP in the parameter dtype: AMP must not change encodings."""
        weight = self.cpb_mlp[0].weight
        with autocast_off(weight.device.type):  # (meta has no autocast)
            return self.cpb_mlp(coords.to(weight))

    def _cached(self, key: Hashable,
                compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        # Under torch.compile the encoding is traced into the graph (the
        # cache lookup reads version counters, a graph break per call).
        if self.training or torch.is_grad_enabled() or \
                torch.compiler.is_compiling():
            return compute()
        key = (key, ) + tuple((p._version, p.data_ptr(), p.device, p.dtype)
                              for p in self.parameters())
        if key not in self._cache:
            self._cache[key] = compute()
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return self._cache[key]


def log_spaced_offsets(size: int, norm_size: int,
                       device: torch.device) -> torch.Tensor:
    """SwinV2 log-spaced relative offsets of one axis, ``(2 * size - 1,)``.

    Offsets ``-(size-1)..size-1`` are scaled to ``[-8, 8]`` by
    ``norm_size - 1`` (1 for axes of length 1) and then compressed with
    ``sign(x) * log2(1 + |x|) / 3``.
    """
    offsets = torch.arange(
        -(size - 1), size, device=device, dtype=torch.float32)
    offsets = offsets * (8.0 / max(norm_size - 1, 1))
    return torch.sign(offsets) * torch.log2(offsets.abs() + 1.0) / math.log2(8)


class ContinuousPositionBias(_GeometryCachedMLP):
    """Relative position bias from an MLP (SwinV2 "CPB"), any grid size.

    Args:
        num_heads: Number of attention heads (MLP outputs).
        hidden_dims: Hidden width of the MLP. Defaults to 512.

    ``forward(size, norm_size, pad)`` returns a ``(heads, P + N, P + N)``
    bias (parameter dtype) for the ``N = h * w`` raster-ordered tokens of
    ``size``, ``16 * sigmoid(mlp(offsets))``, with ``P = pad`` leading
    rows/columns of zeros (tokens without a position, e.g. carrier tokens).
    """

    def __init__(self, num_heads: int, hidden_dims: int = 512) -> None:
        super().__init__(num_heads, hidden_dims)
        self.num_heads = num_heads

    def forward(self,
                size: Size2d,
                norm_size: Size2d,
                pad: int = 0) -> torch.Tensor:
        size, norm_size = tuple(size), tuple(norm_size)
        return self._cached((size, norm_size, pad),
                            lambda: self._compute(size, norm_size, pad))

    def fixed(self, size: Size2d, norm_size: Size2d) -> 'FixedPositionBias':
        """Inference form for one geometry: the bias computed once."""
        size, norm_size = tuple(size), tuple(norm_size)
        with torch.no_grad():
            return FixedPositionBias(
                self._compute(size, norm_size, 0), size, norm_size)

    def _compute(self, size: Size2d, norm_size: Size2d,
                 pad: int) -> torch.Tensor:
        (h, w), device = size, self.cpb_mlp[0].weight.device
        dh = log_spaced_offsets(h, norm_size[0], device)
        dw = log_spaced_offsets(w, norm_size[1], device)
        table = torch.stack(torch.meshgrid(dh, dw, indexing='ij'), dim=-1)
        table = self._mlp_no_autocast(table.view(-1,
                                                 2))  # ((2h-1)(2w-1), heads)
        rows = torch.arange(h, device=device).repeat_interleave(w)
        cols = torch.arange(w, device=device).repeat(h)
        index = (rows[:, None] - rows[None, :] + h - 1) * (2 * w - 1) + (
            cols[:, None] - cols[None, :] + w - 1)
        bias = 16 * torch.sigmoid(table[index].permute(2, 0, 1))
        if pad:
            bias = nn.functional.pad(bias, (pad, 0, pad, 0))
        return bias


class MLPPositionEmbedding(_GeometryCachedMLP):
    """Absolute position embedding from an MLP over normalised coordinates.

    Each axis of length ``n`` uses ``u_i = (i - n // 2) / (n // 2)`` (per
    axis, so non-square grids still span ``[-1, 1]``); features
    ``(u_row, u_col)`` of the raster-ordered grid go through the MLP.

    Args:
        embed_dims: Embedding width (MLP outputs).
        hidden_dims: Hidden width of the MLP. Defaults to 512.
        token_count_coords: Normalise both axes by the token count ``N = h
            * w`` instead, ``u_i = (i - N // 2) / (N // 2)`` (coordinates in
            about ``[-1, -0.75]``): what the published FasterViT DINO
            detectors' backbone code does, so their weights expect it.
            Defaults to False.

    ``forward(size)`` returns a ``(1, h * w, embed_dims)`` tensor (parameter
    dtype, autocast disabled).
    """

    def __init__(self,
                 embed_dims: int,
                 hidden_dims: int = 512,
                 token_count_coords: bool = False) -> None:
        super().__init__(embed_dims, hidden_dims)
        self.token_count_coords = token_count_coords

    def forward(self, size: Size2d) -> torch.Tensor:
        size = tuple(size)
        return self._cached(size, lambda: self._compute(size))

    def fixed(self, size: Size2d) -> 'FixedPositionEmbedding':
        """Inference form for one grid: the embedding computed once."""
        size = tuple(size)
        with torch.no_grad():
            return FixedPositionEmbedding(self._compute(size), size)

    def _compute(self, size: Size2d) -> torch.Tensor:
        device = self.cpb_mlp[0].weight.device
        axes = []
        for n in size:
            centre = (size[0] * size[1] if self.token_count_coords else n) // 2
            axes.append(
                (torch.arange(n, device=device, dtype=torch.float32) - centre)
                / max(centre, 1))  # an axis of length 1 sits at 0
        grid = torch.stack(torch.meshgrid(*axes, indexing='ij'), dim=-1)
        return self._mlp_no_autocast(grid.view(1, -1, 2))


class _FixedGeometry(nn.Module):
    """A position encoding precomputed for one geometry (inference form).

    The tensor is a persistent buffer, so fused state dicts carry it and
    no MLP runs at inference; calling with another geometry raises.
    """

    def __init__(self, geometry: Hashable) -> None:
        super().__init__()
        self.geometry = geometry

    def _check(self, geometry: Hashable) -> None:
        if geometry != self.geometry:
            raise ValueError(
                f'{type(self).__name__} was precomputed for {self.geometry} '
                f'but is called with {geometry}; the inference form fixes '
                'this geometry (use the training form for others).')


class FixedPositionBias(_FixedGeometry):
    """:class:`ContinuousPositionBias` at one ``(size, norm_size)``.

    ``forward(size, norm_size, pad)`` returns the stored ``(heads, N, N)``
    buffer ``bias`` with ``pad`` leading zero rows/columns, like the MLP.
    """

    def __init__(self, bias: torch.Tensor, size: Size2d,
                 norm_size: Size2d) -> None:
        super().__init__((tuple(size), tuple(norm_size)))
        self.register_buffer('bias', bias.detach().clone())

    def forward(self,
                size: Size2d,
                norm_size: Size2d,
                pad: int = 0) -> torch.Tensor:
        self._check((tuple(size), tuple(norm_size)))
        if pad:
            return nn.functional.pad(self.bias, (pad, 0, pad, 0))
        return self.bias


class FixedPositionEmbedding(_FixedGeometry):
    """:class:`MLPPositionEmbedding` at one grid ``size``: the stored
    ``(1, h * w, embed_dims)`` buffer ``embedding``."""

    def __init__(self, embedding: torch.Tensor, size: Size2d) -> None:
        super().__init__(tuple(size))
        self.register_buffer('embedding', embedding.detach().clone())

    def forward(self, size: Size2d) -> torch.Tensor:
        self._check(tuple(size))
        return self.embedding
