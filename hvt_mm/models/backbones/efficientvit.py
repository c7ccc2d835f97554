"""EfficientViT (MIT Han Lab) B- and L-series backbones.

Cai et al., "EfficientViT: Multi-Scale Linear Attention for High-Resolution
Dense Prediction", ICCV 2023 (arXiv 2205.14756). Not Microsoft's EfficientViT.

Module names follow the official checkpoints (``input_stem``, ``stages``,
``op_list``, ``context_module``, ``qkv``, ``aggreg`` ...) so classification
and segmentation weights load with ``prefix='backbone.'`` and no renaming.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...checkpoint import efficientvit as efficientvit_checkpoint
from ...registry import register_model
from ..layers.autocast import autocast_off
from ..layers.conv_module import ConvNormAct
from ..layers.mbconv import DSConv, FusedMBConv, MBConv, ResConvPair
from ..layers.residual import ResidualBlock
from ..layers.sequential import OpSequential
from .base import FreezeGroup, HVTBackbone, OutIndices


class LiteMLA(nn.Module):
    """Lightweight multi-scale ReLU linear attention.

    ``qkv`` (1x1, no bias/norm) gives head-major ``[q, k, v]`` slices of
    ``head_dim`` channels per head; each entry of ``aggreg`` (depthwise
    ``s x s`` then a 1x1 conv with ``groups = 3 * heads``) adds one more set
    of heads at a larger receptive field. Every head computes
    ``out_i = sum_j v_j (k_j . q_i) / (sum_j k_j . q_i + eps)`` with
    ``q, k = relu(q), relu(k)``; ``proj`` (1x1 + norm) merges all heads.

    The attention core always runs in float32 with autocast disabled (fp16
    and bf16 alike), then casts back: the unnormalised sums overflow fp16
    and lose too much precision in bf16 (the original casts only fp16).
    Maps with ``H * W <= head_dim`` use the equivalent quadratic form, as
    the original does.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        head_dim: Channels per head; ``heads = in_channels // head_dim``.
        scales: Kernel sizes of the multi-scale aggregation branches.
        norm_cfg: Norm of ``proj``.
        eps: Denominator epsilon (official 1e-15; safe in fp32).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 head_dim: int = 32,
                 scales: Sequence[int] = (5, ),
                 norm_cfg: dict = dict(type='BN'),
                 eps: float = 1e-15) -> None:
        super().__init__()
        if in_channels % head_dim:
            raise ValueError(f'LiteMLA in_channels {in_channels} is not a '
                             f'multiple of head_dim {head_dim}.')
        heads = in_channels // head_dim
        total = heads * head_dim
        self.head_dim = head_dim
        self.eps = eps
        self.qkv = ConvNormAct(in_channels, 3 * total, 1, bias=False)
        self.aggreg = nn.ModuleList([
            nn.Sequential(
                nn.Conv2d(
                    3 * total,
                    3 * total,
                    s,
                    padding=s // 2,
                    groups=3 * total,
                    bias=False),
                nn.Conv2d(
                    3 * total, 3 * total, 1, groups=3 * heads, bias=False))
            for s in scales
        ])
        self.proj = ConvNormAct(
            total * (1 + len(scales)),
            out_channels,
            1,
            bias=False,
            norm_cfg=norm_cfg)

    def attention(self, qkv: torch.Tensor) -> torch.Tensor:
        """ReLU linear attention of ``(B, G*3*d, H, W)`` -> ``(B, G*d, H, W)``
        in float32 (the returned tensor is float32)."""
        batch, channels, height, width = qkv.shape
        d = self.head_dim
        groups = channels // (3 * d)
        with autocast_off(qkv.device.type):
            qkv = qkv.float().reshape(batch, groups, 3 * d, height * width)
            q, k, v = qkv.split(d, dim=2)
            q, k = F.relu(q), F.relu(k)
            if height * width > d:
                # A row of ones in v yields the normaliser in the same matmul.
                v = torch.cat([v, torch.ones_like(v[:, :, :1])], dim=2)
                out = (v @ k.transpose(-1, -2)) @ q
                out = out[:, :, :d] / (out[:, :, d:] + self.eps)
            else:
                att = k.transpose(-1, -2) @ q
                att = att / (att.sum(dim=2, keepdim=True) + self.eps)
                out = v @ att
        return out.reshape(batch, groups * d, height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        qkv = self.qkv(x)
        qkv = torch.cat([qkv] + [op(qkv) for op in self.aggreg], dim=1)
        return self.proj(self.attention(qkv).to(qkv.dtype))


class EfficientViTBlock(nn.Module):
    """``x + LiteMLA(x)`` then ``x + MBConv(x)`` (post-residual, no pre-norm).

    The local MBConv is the "fewer norm" kind: bias and no norm on the
    expand and depthwise convs, norm (no bias) on the projection.
    """

    def __init__(self,
                 channels: int,
                 head_dim: int,
                 expand_ratio: float,
                 norm_cfg: dict,
                 act_cfg: dict,
                 scales: Sequence[int] = (5, ),
                 eps: float = 1e-15) -> None:
        super().__init__()
        self.context_module = ResidualBlock(
            LiteMLA(channels, channels, head_dim, scales, norm_cfg, eps))
        self.local_module = ResidualBlock(
            MBConv(
                channels,
                channels,
                expand_ratio=expand_ratio,
                bias=(True, True, False),
                norm_cfg=(None, None, norm_cfg),
                act_cfg=(act_cfg, act_cfg, None)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.local_module(self.context_module(x))


# Per-series structure (official EfficientViTBackbone / LargeBackbone).
# block types per stage0..stage4; expand ratio of the non-strided blocks;
# type and expand ratio of the strided first block of stage1..4 (attention
# stages, too, start with a strided MBConv); "fewer norm" stages; whether
# the strided block counts in a conv stage's depth (B) or not (L).
SERIES = {
    'b':
    dict(
        block_types=('ds', 'mb', 'mb', 'att', 'att'),
        expand_ratios=(1, 4, 4, 4, 4),
        down_types=(None, 'mb', 'mb', 'mb', 'mb'),
        down_expand=(None, 4, 4, 4, 4),
        fewer_norm=(False, False, False, True, True),
        stride_in_depth=True,
        act_cfg=dict(type='HSwish')),
    'l':
    dict(
        block_types=('res', 'fmb', 'fmb', 'mb', 'att'),
        expand_ratios=(1, 4, 4, 4, 6),
        down_types=(None, 'fmb', 'fmb', 'mb', 'mb'),
        down_expand=(None, 16, 16, 16, 24),
        fewer_norm=(False, False, False, True, True),
        stride_in_depth=False,
        act_cfg=dict(type='GELU', approximate='tanh')),
}


def _local_block(kind: str, in_channels: int, out_channels: int, stride: int,
                 expand_ratio: float, fewer_norm: bool, norm_cfg: dict,
                 act_cfg: dict) -> nn.Module:
    """One convolutional block; "fewer norm" swaps the norms of all but the
    last conv for biases."""
    if kind == 'mb':
        return MBConv(
            in_channels,
            out_channels,
            3,
            stride,
            expand_ratio,
            bias=(True, True, False) if fewer_norm else False,
            norm_cfg=(None, None, norm_cfg) if fewer_norm else norm_cfg,
            act_cfg=(act_cfg, act_cfg, None))
    pair = dict(
        bias=(True, False) if fewer_norm else False,
        norm_cfg=(None, norm_cfg) if fewer_norm else norm_cfg,
        act_cfg=(act_cfg, None))
    if kind == 'ds':
        return DSConv(in_channels, out_channels, 3, stride, **pair)
    if kind == 'fmb':
        return FusedMBConv(in_channels, out_channels, 3, stride, expand_ratio,
                           **pair)
    if kind == 'res':
        return ResConvPair(in_channels, out_channels, 3, stride, expand_ratio,
                           **pair)
    raise ValueError(f'Unknown EfficientViT block type {kind!r}; expected '
                     "'ds', 'mb', 'fmb', 'res' or 'att'.")


@register_model
class EfficientViT(HVTBackbone):
    """EfficientViT backbone, B0-B3 and L0-L3, one class.

    Stages ``stage0`` (stem, stride 2) to ``stage4`` (stride 32) as in the
    original output dictionary; ``out_indices`` indexes them (default
    ``(1, 2, 3, 4)``: strides 4/8/16/32). B models keep the official
    attributes ``input_stem`` (stage0) and ``stages.0-3``; L models
    ``stages.0-4``. Stage-3/4 blocks of B and stage-4 blocks of L are
    :class:`EfficientViTBlock` s with :class:`LiteMLA`.

    Differences from the original: the attention core is float32 for bf16
    too (see :class:`LiteMLA`); drop path is not scaled by training
    progress; the series' activation and BN epsilon (B: hardswish, 1e-5;
    L: tanh-GELU, 1e-7) live in the arch table instead of a post-build
    factory.

    Args:
        arch: ``'b0'..'b3'``, ``'l0'..'l3'`` or a dict with the keys of
            :attr:`arch_zoo` (``series`` 'b' or 'l').
        in_channels: Image channels.
        out_indices: Stages to return (0..4, negatives allowed).
        out_norm_cfg: Norm per returned map; None (default) returns the raw
            stage features, exactly what the official segmentation head
            reads (every stage already ends in a BN-normalised block sum).
        frozen_stages: -1 nothing; 0 the stem (stage0); ``k`` the stem and
            the ``k`` strided stages stage1..stagek, like every hvt_mm family.
        norm_eval: Keep BatchNorm layers in eval mode while training.
        with_cp: Gradient checkpointing per block.
        drop_path_rate: Stochastic depth, rising linearly over the identity
            residuals of ``stages`` (as the official trainer applies it).
        norm_cfg: Norm of every block; ``eps`` defaults to the arch's.
        attn_eps: LiteMLA denominator epsilon.
        deploy: Build the inference form (:meth:`switch_to_deploy`): every
            BatchNorm folded into the conv before it (each
            :class:`~hvt_mm.models.layers.ConvNormAct`, LiteMLA ``proj``
            included), so fused checkpoints have conv biases and no BN.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint=...,
            prefix='backbone.')`` for official seg or cls files.
    """

    # Spec table 1 / official model zoo: widths and depths of stem+stage1..4,
    # attention head dim, BN epsilon set by the zoo factory.
    # yapf: disable
    arch_zoo: Dict[str, dict] = {
        'b0': dict(series='b', widths=[8, 16, 32, 64, 128],      depths=[1, 2, 2, 2, 2], head_dim=16, norm_eps=1e-5),
        'b1': dict(series='b', widths=[16, 32, 64, 128, 256],    depths=[1, 2, 3, 3, 4], head_dim=16, norm_eps=1e-5),
        'b2': dict(series='b', widths=[24, 48, 96, 192, 384],    depths=[1, 3, 4, 4, 6], head_dim=32, norm_eps=1e-5),
        'b3': dict(series='b', widths=[32, 64, 128, 256, 512],   depths=[1, 4, 6, 6, 9], head_dim=32, norm_eps=1e-5),
        'l0': dict(series='l', widths=[32, 64, 128, 256, 512],   depths=[1, 1, 1, 4, 4], head_dim=32, norm_eps=1e-7),
        'l1': dict(series='l', widths=[32, 64, 128, 256, 512],   depths=[1, 1, 1, 6, 6], head_dim=32, norm_eps=1e-7),
        'l2': dict(series='l', widths=[32, 64, 128, 256, 512],   depths=[1, 2, 2, 8, 8], head_dim=32, norm_eps=1e-7),
        'l3': dict(series='l', widths=[64, 128, 256, 512, 1024], depths=[1, 2, 2, 8, 8], head_dim=32, norm_eps=1e-7),
    }
    # yapf: enable
    checkpoint_converter = staticmethod(efficientvit_checkpoint.convert)
    min_input_size = 1

    def __init__(self,
                 arch: Union[str, dict] = 'b1',
                 in_channels: int = 3,
                 out_indices: OutIndices = (1, 2, 3, 4),
                 out_norm_cfg: Optional[dict] = None,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 drop_path_rate: float = 0.,
                 norm_cfg: dict = dict(type='BN'),
                 attn_eps: float = 1e-15,
                 deploy: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(in_channels, frozen_stages, norm_eval, with_cp,
                         init_cfg, deploy)
        settings = self.parse_arch(arch)
        series = settings['series']
        if series not in SERIES:
            raise ValueError(f"EfficientViT arch series must be 'b' or 'l', "
                             f'got {series!r}.')
        widths, depths = settings['widths'], settings['depths']
        if len(widths) != 5 or len(depths) != 5:
            raise ValueError('EfficientViT arch needs 5 widths and 5 depths '
                             '(stem/stage0 then stage1..stage4), got '
                             f'{widths} and {depths}.')
        self.arch_settings = settings
        self.series = series
        norm_cfg = copy.deepcopy(norm_cfg)
        norm_cfg.setdefault('eps', settings['norm_eps'])
        rule = SERIES[series]
        act_cfg = rule['act_cfg']

        stem = [
            ConvNormAct(
                in_channels,
                widths[0],
                3,
                2,
                bias=False,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)
        ]
        stem += [
            ResidualBlock(
                _local_block(rule['block_types'][0], widths[0], widths[0], 1,
                             rule['expand_ratios'][0], rule['fewer_norm'][0],
                             norm_cfg, act_cfg)) for _ in range(depths[0])
        ]
        stages = [OpSequential(stem)]
        for i in range(1, 5):
            kind = rule['block_types'][i]
            down = ResidualBlock(
                _local_block(rule['down_types'][i], widths[i - 1], widths[i],
                             2, rule['down_expand'][i], rule['fewer_norm'][i],
                             norm_cfg, act_cfg),
                shortcut=False)
            count = depths[i]
            if rule['stride_in_depth'] and kind != 'att':
                count -= 1
            blocks = [down]
            for _ in range(count):
                if kind == 'att':
                    blocks.append(
                        EfficientViTBlock(
                            widths[i],
                            settings['head_dim'],
                            rule['expand_ratios'][i],
                            norm_cfg,
                            act_cfg,
                            eps=attn_eps))
                else:
                    blocks.append(
                        ResidualBlock(
                            _local_block(kind, widths[i], widths[i], 1,
                                         rule['expand_ratios'][i],
                                         rule['fewer_norm'][i], norm_cfg,
                                         act_cfg)))
            stages.append(OpSequential(blocks))
        if series == 'b':
            self.input_stem = stages[0]
            self.stages = nn.ModuleList(stages[1:])
        else:
            self.stages = nn.ModuleList(stages)
        self._set_drop_path(drop_path_rate)
        self._init_outputs(widths, out_indices, out_norm_cfg)

    # ------------------------------------------------------------- structure
    def stage_name(self, index: int) -> str:
        """Attribute path of ``stage{index}`` (0 = stem ... 4 = stride 32):
        B models call the stem ``input_stem``, L models ``stages.0``."""
        if self.series == 'b':
            return 'input_stem' if index == 0 else f'stages.{index - 1}'
        return f'stages.{index}'

    def stage(self, index: int) -> OpSequential:
        """Module of ``stage{index}``."""
        if self.series == 'b':
            return self.input_stem if index == 0 else self.stages[index - 1]
        return self.stages[index]

    def _set_drop_path(self, rate: float) -> None:
        blocks = [
            m for m in self.stages.modules()
            if isinstance(m, ResidualBlock) and m.shortcut is not None
        ]
        for i, block in enumerate(blocks):
            block.set_drop_path(rate * (i + 1) / len(blocks))

    # --------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the maps of ``out_indices`` (raw or ``norm{i}``)."""
        self._check_input(x)
        outs = []
        for i in range(self.out_indices[-1] + 1):
            for op in self.stage(i).op_list:
                x = self._run_block(op, x)
            if i in self.out_indices:
                outs.append(self._output(i, x))
        return tuple(outs)

    # ------------------------------------------------------------ structure
    def freeze_groups(self) -> List[FreezeGroup]:
        """``stage{i}`` with ``norm{i}``: the stem (stage0) is an output
        level here, so ``frozen_stages=k`` covers stage0..stagek."""
        return [[self.stage(i)] + self._out_norms(i) for i in range(5)]

    def layer_table(self) -> List[List[str]]:
        """The stem is one layer; every ``op_list`` entry of stage1..4 (the
        strided first block too) is one layer."""
        table = [[self.stage_name(0)]]
        for i in range(1, 5):
            table += self.stage_layers([
                f'{self.stage_name(i)}.op_list.{j}'
                for j in range(len(self.stage(i).op_list))
            ])
        return table
