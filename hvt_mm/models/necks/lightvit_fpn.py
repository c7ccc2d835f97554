"""The LightViT FPN neck of the published LightViT detectors.

LightViT has no stride-4 stage. Its detectors (hunto/LightViT
``detection/``) use an FPN over the three stages (strides 8/16/32) that
grows the missing finer levels from the finest fused lateral with 2x2
transposed convolutions, so Mask R-CNN keeps its standard anchor strides
(4..64) and RoI strides (4..32).
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from ...registry import register_model

_EXTRA_SOURCES = ('on_input', 'on_lateral', 'on_output')


@register_model
class LightViTFPN(BaseModule):
    """FPN with ``num_extra_trans_convs`` upsampled levels below the finest.

    Outputs, finest first: ``num_extra_trans_convs`` levels made by
    ``extra_trans_convs[i]`` (2x2 transposed conv, stride 2) from the
    previous finer lateral, starting at the finest lateral after the
    top-down fusion, each followed by its 3x3 ``extra_fpn_convs[i]``; then
    the usual FPN outputs of the inputs; then coarser levels by stride-2
    max pooling of the last output (``add_extra_convs=False``, as in the
    published configs) or stride-2 convs (``'on_input'``, ``'on_lateral'``,
    ``'on_output'``, as in mmdet's FPN). Parameter names are the official
    ones (``lateral_convs``, ``fpn_convs``, ``extra_trans_convs.{i}.conv``,
    ``extra_fpn_convs``), so the published checkpoints load unchanged.

    Unlike the reference neck, ``num_extra_trans_convs=0`` works (a plain
    FPN).

    Args:
        in_channels: Channels of each input level, finest first.
        out_channels: Channels of every output.
        num_outs: Number of outputs; at least
            ``len(in_channels) + num_extra_trans_convs``.
        num_extra_trans_convs: Levels grown below the finest input.
            Defaults to 1 (stride 4 from LightViT's stride 8).
        add_extra_convs: How levels above the coarsest input are made:
            False (max pooling) or one of ``'on_input'``, ``'on_lateral'``,
            ``'on_output'`` (True means ``'on_input'``). Defaults to False.
        relu_before_extra_convs: ReLU before each extra conv after the
            first. Defaults to False.
        no_norm_on_lateral: No norm on the lateral and transposed convs.
        conv_cfg, norm_cfg, act_cfg: For every conv. Default: plain convs.
        upsample_cfg: ``F.interpolate`` arguments of the top-down path.
            Defaults to nearest.
        init_cfg: Defaults to Xavier-uniform convolutions (the reference's
            initialisation; the transposed convs keep ConvModule's).
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channels: int,
        num_outs: int,
        num_extra_trans_convs: int = 1,
        add_extra_convs: Union[bool, str] = False,
        relu_before_extra_convs: bool = False,
        no_norm_on_lateral: bool = False,
        conv_cfg: Optional[dict] = None,
        norm_cfg: Optional[dict] = None,
        act_cfg: Optional[dict] = None,
        upsample_cfg: dict = dict(mode='nearest'),
        init_cfg: Optional[Union[dict, List[dict]]] = dict(
            type='Xavier', layer='Conv2d', distribution='uniform')
    ) -> None:
        super().__init__(init_cfg)
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_outs = num_outs
        self.num_extra_trans_convs = num_extra_trans_convs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.upsample_cfg = dict(upsample_cfg)
        num_pyramid = len(self.in_channels) + num_extra_trans_convs
        if num_extra_trans_convs < 0 or num_outs < num_pyramid:
            raise ValueError(
                f'LightViTFPN num_outs={num_outs} cannot hold the '
                f'{len(self.in_channels)} input levels plus '
                f'num_extra_trans_convs={num_extra_trans_convs} upsampled '
                f'ones: set num_outs >= {num_pyramid} (the published '
                'detectors use num_outs=5 with num_extra_trans_convs=1).')
        if add_extra_convs is True:
            add_extra_convs = 'on_input'
        if add_extra_convs and add_extra_convs not in _EXTRA_SOURCES:
            raise ValueError(
                f'LightViTFPN add_extra_convs must be a bool or one of '
                f'{_EXTRA_SOURCES}, got {add_extra_convs!r}.')
        self.add_extra_convs = add_extra_convs

        def conv(cin: int, kernel: int, **kwargs) -> ConvModule:
            kwargs.setdefault('norm_cfg', norm_cfg)
            return ConvModule(
                cin,
                out_channels,
                kernel,
                conv_cfg=kwargs.pop('conv_cfg', conv_cfg),
                act_cfg=act_cfg,
                inplace=False,
                **kwargs)

        lateral_norm = None if no_norm_on_lateral else norm_cfg
        self.lateral_convs = nn.ModuleList(
            conv(c, 1, norm_cfg=lateral_norm) for c in self.in_channels)
        self.fpn_convs = nn.ModuleList(
            conv(out_channels, 3, padding=1) for _ in self.in_channels)
        for i in range(num_outs - num_pyramid if add_extra_convs else 0):
            cin = (
                self.in_channels[-1]
                if i == 0 and add_extra_convs == 'on_input' else out_channels)
            self.fpn_convs.append(conv(cin, 3, stride=2, padding=1))
        self.extra_trans_convs = nn.ModuleList(
            conv(
                out_channels,
                2,
                stride=2,
                conv_cfg=dict(type='deconv'),
                norm_cfg=lateral_norm) for _ in range(num_extra_trans_convs))
        self.extra_fpn_convs = nn.ModuleList(
            conv(out_channels, 3, padding=1)
            for _ in range(num_extra_trans_convs))

    def forward(self,
                inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Pyramid of ``num_outs`` maps, finest first."""
        if len(inputs) != len(self.in_channels):
            raise ValueError(
                f'LightViTFPN was built for {len(self.in_channels)} input '
                f'levels (in_channels={self.in_channels}) but got '
                f'{len(inputs)}; match the backbone\'s out_indices.')
        laterals = [conv(x) for conv, x in zip(self.lateral_convs, inputs)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + self._upsample(
                laterals[i], laterals[i - 1].shape[2:])
        finer = []
        source = laterals[0]
        for trans_conv, fpn_conv in zip(self.extra_trans_convs,
                                        self.extra_fpn_convs):
            source = trans_conv(source)
            finer.insert(0, fpn_conv(source))
        outs = [conv(x) for conv, x in zip(self.fpn_convs, laterals)]
        num_coarser = self.num_outs - len(finer) - len(outs)
        if num_coarser and not self.add_extra_convs:
            for _ in range(num_coarser):
                outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        elif num_coarser:
            source = {
                'on_input': inputs[-1],
                'on_lateral': laterals[-1],
                'on_output': outs[-1]
            }[self.add_extra_convs]
            for conv in self.fpn_convs[len(laterals):]:
                outs.append(conv(source))
                source = F.relu(
                    outs[-1]) if (self.relu_before_extra_convs) else outs[-1]
        return tuple(finer + outs)

    def _upsample(self, x: torch.Tensor, size: torch.Size) -> torch.Tensor:
        if 'scale_factor' in self.upsample_cfg:
            return F.interpolate(x, **self.upsample_cfg)
        return F.interpolate(x, size=size, **self.upsample_cfg)
