"""EfficientViT (MIT Han Lab) B- and L-series backbones.

Cai et al., "EfficientViT: Multi-Scale Linear Attention for High-Resolution
Dense Prediction", ICCV 2023 (arXiv 2205.14756). Not Microsoft's EfficientViT.

Modules follow the layout shared by every hvt_mm family (``stem``,
``stages[i].downsample``, ``stages[i].blocks``, ``norm{i}``); official
classification/segmentation and timm checkpoints are renamed by
:func:`hvt_mm.checkpoint.efficientvit.convert`.
"""
import copy
from typing import Dict, Iterable, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...checkpoint import efficientvit as efficientvit_checkpoint
from ...registry import register_model
from ..layers.autocast import autocast_off
from ..layers.conv_module import ConvNormAct
from ..layers.mbconv import DSConv, FusedMBConv, MBConv, ResConvPair
from ..layers.residual import ResidualBlock
from ..layers.stage import HVTStage, RunBlock
from .base import HVTBackbone, OutIndices


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

    Args:
        dim: Channels.
        head_dim: Channels per attention head.
        mlp_ratio: Expansion of the local MBConv (the block's FFN).
        norm_cfg: Norm config.
        act_cfg: Activation of the local MBConv.
        scales: Kernel sizes of LiteMLA's aggregation branches.
        eps: LiteMLA denominator epsilon.
    """

    def __init__(self,
                 dim: int,
                 head_dim: int,
                 mlp_ratio: float,
                 norm_cfg: dict,
                 act_cfg: dict,
                 scales: Sequence[int] = (5, ),
                 eps: float = 1e-15) -> None:
        super().__init__()
        self.context_module = ResidualBlock(
            LiteMLA(dim, dim, head_dim, scales, norm_cfg, eps))
        self.local_module = ResidualBlock(
            MBConv(
                dim,
                dim,
                expand_ratio=mlp_ratio,
                bias=(True, True, False),
                norm_cfg=(None, None, norm_cfg),
                act_cfg=(act_cfg, act_cfg, None)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.local_module(self.context_module(x))


# Per-series structure (official EfficientViTBackbone / LargeBackbone).
# Entry 0 is the stem (level 0, stride 2), entries 1..4 ``stages[0..3]``:
# block types; expand ratio of the non-strided blocks; type and expand
# ratio of the strided ``downsample`` of each stage (attention stages, too,
# start with a strided MBConv); "fewer norm" stages; whether the strided
# block counts in a conv stage's depth (B) or not (L).
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


def _call(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return block(x)


class EfficientViTStem(nn.Module):
    """``conv`` (3x3, stride 2, norm, act) then ``blocks``, residual local
    blocks at stride 2; its output is level 0 (official ``stage0``).

    Args:
        conv: The strided input conv.
        blocks: Residual blocks after it.
    """

    def __init__(self, conv: nn.Module, blocks: Iterable[nn.Module]) -> None:
        super().__init__()
        self.conv = conv
        self.blocks = nn.ModuleList(blocks)

    def forward(self,
                x: torch.Tensor,
                run_block: RunBlock = _call) -> torch.Tensor:
        x = run_block(self.conv, x)
        for block in self.blocks:
            x = run_block(block, x)
        return x


@register_model
class EfficientViT(HVTBackbone):
    """EfficientViT backbone, B0-B3 and L0-L3, one class.

    Five output levels as in the original output dictionary: ``stem``
    (official ``stage0``, stride 2) is level 0 and ``stages[i]`` (official
    ``stage{i+1}``) level ``i + 1`` (strides 4..32); ``out_indices``
    indexes them (default ``(1, 2, 3, 4)``: strides 4/8/16/32). Each stage
    is an :class:`~hvt_mm.models.layers.HVTStage`: ``downsample`` is the
    strided MBConv/FusedMBConv without shortcut, ``blocks`` the residual
    local blocks or, in B's stages 2-3 and L's stage 3,
    :class:`EfficientViTBlock` s with :class:`LiteMLA`.

    Differences from the original: module names follow the hvt_mm layout
    (``stem.conv``, ``stem.blocks``, ``stages.i.downsample``,
    ``stages.i.blocks``; conv-unit norms are mmcv's ``bn``), official,
    timm and earlier hvt_mm checkpoints are renamed on load by
    :func:`hvt_mm.checkpoint.efficientvit.convert`; the attention core is
    float32 for bf16 too (see :class:`LiteMLA`); drop path is not scaled by
    training progress; the series' activation and BN epsilon (B: hardswish,
    1e-5; L: tanh-GELU, 1e-7) live in the arch table instead of a
    post-build factory.

    Args:
        arch: ``'b0'..'b3'``, ``'l0'..'l3'`` or a dict with the keys of
            :attr:`arch_zoo` (``series`` 'b' or 'l').
        in_channels: Image channels.
        out_indices: Levels to return (0..4, negatives allowed).
        out_norm_cfg: Norm per returned map; None (default) returns the raw
            stage features, exactly what the official segmentation head
            reads (every stage already ends in a BN-normalised block sum).
        frozen_stages: -1 nothing; 0 the stem (with ``norm0``); ``k`` the
            stem and ``stages[0..k-1]``, like every hvt_mm family.
        norm_eval: Keep BatchNorm layers in eval mode while training.
        with_cp: Gradient checkpointing per block (the stem's conv and
            blocks, each stage's blocks; ``downsample`` runs plainly).
        drop_path_rate: Stochastic depth, rising linearly over the identity
            residual blocks the official trainer applies it to: those of
            ``stages`` and, for the L series only, of the stem (official L
            models hold their stem in ``stages``, B models do not).
        norm_cfg: Norm of every block; ``eps`` defaults to the arch's. The
            converter maps official ``.norm.`` entries to mmcv's ``bn``
            name, i.e. BN-type norms (BN, SyncBN); other types load only
            checkpoints written with them.
        attn_eps: LiteMLA denominator epsilon.
        deploy: Build the inference form (:meth:`switch_to_deploy`): every
            BatchNorm folded into the conv before it (each
            :class:`~hvt_mm.models.layers.ConvNormAct`, LiteMLA ``proj``
            included), so fused checkpoints have conv biases and no BN.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint=...,
            prefix='backbone.')`` for official seg or cls files.
    """

    # Spec table 1 / official model zoo: stem width and number of residual
    # stem blocks, widths and depths of stages 1..4 (official stage1..4;
    # B counts a conv stage's strided block in its depth, L does not),
    # attention head dim, BN epsilon set by the zoo factory.
    # yapf: disable
    arch_zoo: Dict[str, dict] = {
        'b0': dict(series='b', stem_dims=8,  stem_depth=1, embed_dims=[16, 32, 64, 128],    depths=[2, 2, 2, 2], head_dim=16, norm_eps=1e-5),
        'b1': dict(series='b', stem_dims=16, stem_depth=1, embed_dims=[32, 64, 128, 256],   depths=[2, 3, 3, 4], head_dim=16, norm_eps=1e-5),
        'b2': dict(series='b', stem_dims=24, stem_depth=1, embed_dims=[48, 96, 192, 384],   depths=[3, 4, 4, 6], head_dim=32, norm_eps=1e-5),
        'b3': dict(series='b', stem_dims=32, stem_depth=1, embed_dims=[64, 128, 256, 512],  depths=[4, 6, 6, 9], head_dim=32, norm_eps=1e-5),
        'l0': dict(series='l', stem_dims=32, stem_depth=1, embed_dims=[64, 128, 256, 512],  depths=[1, 1, 4, 4], head_dim=32, norm_eps=1e-7),
        'l1': dict(series='l', stem_dims=32, stem_depth=1, embed_dims=[64, 128, 256, 512],  depths=[1, 1, 6, 6], head_dim=32, norm_eps=1e-7),
        'l2': dict(series='l', stem_dims=32, stem_depth=1, embed_dims=[64, 128, 256, 512],  depths=[2, 2, 8, 8], head_dim=32, norm_eps=1e-7),
        'l3': dict(series='l', stem_dims=64, stem_depth=1, embed_dims=[128, 256, 512, 1024], depths=[2, 2, 8, 8], head_dim=32, norm_eps=1e-7),
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
        dims, depths = settings['embed_dims'], settings['depths']
        if len(dims) != 4 or len(depths) != 4:
            raise ValueError('EfficientViT arch needs 4 embed_dims and 4 '
                             'depths (stages 1..4; the stem has stem_dims '
                             f'and stem_depth), got {dims} and {depths}.')
        self.arch_settings = settings
        self.series = series
        norm_cfg = copy.deepcopy(norm_cfg)
        norm_cfg.setdefault('eps', settings['norm_eps'])
        rule = SERIES[series]
        act_cfg = rule['act_cfg']
        widths = [settings['stem_dims']] + list(dims)

        self.stem = EfficientViTStem(
            ConvNormAct(
                in_channels,
                widths[0],
                3,
                2,
                bias=False,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg), [
                    ResidualBlock(
                        _local_block(rule['block_types'][0], widths[0],
                                     widths[0], 1, rule['expand_ratios'][0],
                                     rule['fewer_norm'][0], norm_cfg, act_cfg))
                    for _ in range(settings['stem_depth'])
                ])
        stages = []
        for i in range(1, 5):
            kind = rule['block_types'][i]
            down = ResidualBlock(
                _local_block(rule['down_types'][i], widths[i - 1], widths[i],
                             2, rule['down_expand'][i], rule['fewer_norm'][i],
                             norm_cfg, act_cfg),
                shortcut=False)
            count = depths[i - 1]
            if rule['stride_in_depth'] and kind != 'att':
                count -= 1
            blocks = []
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
            stages.append(HVTStage(down, blocks))
        self.stages = nn.ModuleList(stages)
        self._set_drop_path(drop_path_rate)
        self._init_outputs(widths, out_indices, out_norm_cfg)

    def _set_drop_path(self, rate: float) -> None:
        scope = ([self.stem] if self.series == 'l' else []) + [self.stages]
        blocks = [
            m for module in scope for m in module.modules()
            if isinstance(m, ResidualBlock) and m.shortcut is not None
        ]
        for i, block in enumerate(blocks):
            block.set_drop_path(rate * (i + 1) / len(blocks))

    # --------------------------------------------------------------- forward
    def forward_stem(self, x: torch.Tensor):
        """The stem's stride-2 map is output level 0."""
        x = self.stem(x, self._run_block)
        return x, {0: x}
