"""Mobile convolution blocks: DSConv, MBConv, FusedMBConv and a 3x3 pair.

Every block is a chain of :class:`ConvNormAct` units. ``bias``, ``norm_cfg``
and ``act_cfg`` take one value for all units or a tuple with one entry per
unit, which expresses variants such as EfficientViT's "fewer norm" MBConv
(bias and no norm on the first two convs) without extra classes. The block
that changes resolution carries the stride; no block has a shortcut (wrap it
in :class:`~hvt_mm.models.layers.ResidualBlock`). Child names follow the
EfficientViT checkpoints (``inverted_conv``, ``depth_conv``, ...), which use
the MobileNet/EfficientNet vocabulary.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from .conv_module import ConvNormAct

PerConv = Union[None, bool, str, dict, Sequence]


def per_conv(value: PerConv, num: int, what: str) -> Tuple:
    """Broadcast one setting to ``num`` conv units or check a tuple of them."""
    if isinstance(value, (list, tuple)):
        if len(value) != num:
            raise ValueError(f'{what} needs 1 or {num} entries (one per conv '
                             f'unit), got {len(value)}: {value!r}')
        return tuple(value)
    return (value, ) * num


def conv_units(num: int, bias: PerConv, norm_cfg: PerConv,
               act_cfg: PerConv) -> Tuple[Tuple, ...]:
    """``(bias, norm_cfg, act_cfg)`` for each of ``num`` conv units."""
    return tuple(
        zip(
            per_conv(bias, num, 'bias'), per_conv(norm_cfg, num, 'norm_cfg'),
            per_conv(act_cfg, num, 'act_cfg')))


class _ConvChain(nn.Module):
    """Runs the named :class:`ConvNormAct` children in registration order."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for unit in self.children():
            x = unit(x)
        return x


def _mid(in_channels: int, expand_ratio: float,
         mid_channels: Optional[int]) -> int:
    return round(in_channels * expand_ratio) if mid_channels is None \
        else mid_channels


class DSConv(_ConvChain):
    """Depthwise-separable conv: ``depth_conv`` (k x k, stride) ->
    ``point_conv`` (1x1).

    Args:
        in_channels, out_channels: Channels.
        kernel_size: Depthwise kernel.
        stride: Depthwise stride.
        bias, norm_cfg, act_cfg: One value or a pair (depth, point).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        bias: PerConv = False,
        norm_cfg: PerConv = dict(type='BN'),
        act_cfg: PerConv = (dict(type='ReLU6'), None)
    ) -> None:
        super().__init__()
        first, last = conv_units(2, bias, norm_cfg, act_cfg)
        self.depth_conv = ConvNormAct(in_channels, in_channels, kernel_size,
                                      stride, in_channels, *first)
        self.point_conv = ConvNormAct(in_channels, out_channels, 1, 1, 1,
                                      *last)


class MBConv(_ConvChain):
    """Inverted residual body: ``inverted_conv`` (1x1 expand) ->
    ``depth_conv`` (k x k depthwise, stride) -> ``point_conv`` (1x1).

    Args:
        in_channels, out_channels: Channels.
        kernel_size: Depthwise kernel.
        stride: Depthwise stride.
        expand_ratio: ``mid = round(in_channels * expand_ratio)``.
        mid_channels: Explicit hidden width (overrides ``expand_ratio``).
        bias, norm_cfg, act_cfg: One value or a triple, one per conv.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        expand_ratio: float = 6,
        mid_channels: Optional[int] = None,
        bias: PerConv = False,
        norm_cfg: PerConv = dict(type='BN'),
        act_cfg: PerConv = (dict(type='ReLU6'), dict(type='ReLU6'), None)
    ) -> None:
        super().__init__()
        mid = _mid(in_channels, expand_ratio, mid_channels)
        expand, depth, point = conv_units(3, bias, norm_cfg, act_cfg)
        self.inverted_conv = ConvNormAct(in_channels, mid, 1, 1, 1, *expand)
        self.depth_conv = ConvNormAct(mid, mid, kernel_size, stride, mid,
                                      *depth)
        self.point_conv = ConvNormAct(mid, out_channels, 1, 1, 1, *point)


class FusedMBConv(_ConvChain):
    """Fused inverted residual body: ``spatial_conv`` (full k x k to the
    hidden width, stride) -> ``point_conv`` (1x1).

    Args:
        in_channels, out_channels: Channels.
        kernel_size: Spatial kernel.
        stride: Spatial stride.
        expand_ratio: ``mid = round(in_channels * expand_ratio)``.
        mid_channels: Explicit hidden width (overrides ``expand_ratio``).
        groups: Groups of the spatial conv.
        bias, norm_cfg, act_cfg: One value or a pair, one per conv.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        expand_ratio: float = 6,
        mid_channels: Optional[int] = None,
        groups: int = 1,
        bias: PerConv = False,
        norm_cfg: PerConv = dict(type='BN'),
        act_cfg: PerConv = (dict(type='ReLU6'), None)
    ) -> None:
        super().__init__()
        mid = _mid(in_channels, expand_ratio, mid_channels)
        first, last = conv_units(2, bias, norm_cfg, act_cfg)
        self.spatial_conv = ConvNormAct(in_channels, mid, kernel_size, stride,
                                        groups, *first)
        self.point_conv = ConvNormAct(mid, out_channels, 1, 1, 1, *last)


class ResConvPair(_ConvChain):
    """Two full k x k convs (``conv1`` carries the stride, then ``conv2``):
    the body of a ResNet basic block.

    Args:
        in_channels, out_channels: Channels.
        kernel_size: Kernel of both convs.
        stride: Stride of ``conv1``.
        expand_ratio: Hidden width ratio (1 for a basic block).
        mid_channels: Explicit hidden width.
        bias, norm_cfg, act_cfg: One value or a pair, one per conv.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        expand_ratio: float = 1,
        mid_channels: Optional[int] = None,
        bias: PerConv = False,
        norm_cfg: PerConv = dict(type='BN'),
        act_cfg: PerConv = (dict(type='ReLU6'), None)
    ) -> None:
        super().__init__()
        mid = _mid(in_channels, expand_ratio, mid_channels)
        first, last = conv_units(2, bias, norm_cfg, act_cfg)
        self.conv1 = ConvNormAct(in_channels, mid, kernel_size, stride, 1,
                                 *first)
        self.conv2 = ConvNormAct(mid, out_channels, kernel_size, 1, 1, *last)
