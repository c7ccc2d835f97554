"""FastViT T8..MA36 backbone with structural reparameterization.

Paper: "FastViT: A Fast Hybrid Vision Transformer using Structural
Reparameterization", Vasu et al., ICCV 2023 (arXiv 2303.14189). Modules
follow the layout shared by every hvt_mm family (``stem``,
``stages[i].downsample``, ``stages[i].pos_embed``, ``stages[i].blocks``,
``norm{i}``); :mod:`hvt_mm.checkpoint.fastvit` maps apple/ml-fastvit's
training-form (``fastvit_*.pth.tar``) and fused
(``fastvit_*_reparam.pth.tar``) checkpoints onto it. The fusion maths lives
in :mod:`hvt_mm.models.layers.reparam`.
"""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model.weight_init import trunc_normal_

from ...checkpoint import fastvit as fastvit_checkpoint
from ...registry import register_model
from ..layers import HVTStage, LayerScale, drop_path_or_identity
from ..layers.reparam import (ConvBN, MobileOneBlock, ReparamLargeKernelConv,
                              RepCPE, RepMixer)
from ..layers.stage import RunBlock
from .base import HVTBackbone, OutIndices, StateDict

HEAD_DIM = 32  # attention head width of every official variant


class FastViTConvFFN(nn.Module):
    """``fc2(act(fc1(BN(dw7x7(x)))))``; no activation after the dw conv."""

    def __init__(self, dim: int, hidden_dim: int, norm_cfg: dict,
                 act_cfg: dict) -> None:
        super().__init__()
        self.conv = ConvBN(dim, dim, 7, 1, 3, groups=dim, norm_cfg=norm_cfg)
        self.fc1 = nn.Conv2d(dim, hidden_dim, 1)
        self.act = build_activation_layer(act_cfg)
        self.fc2 = nn.Conv2d(hidden_dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(self.conv(x))))


class FastViTAttention(nn.Module):
    """Global multi-head self-attention over all ``H * W`` positions.

    ``qkv`` (no bias) is laid out ``[q | k | v] x heads x head_dim``. Uses
    ``scaled_dot_product_attention`` (scale ``head_dim ** -0.5``).
    """

    def __init__(self, dim: int, head_dim: int = HEAD_DIM) -> None:
        super().__init__()
        if dim % head_dim:
            raise ValueError(
                f'FastViT attention width {dim} is not a multiple of the '
                f'head width {head_dim}; choose embed_dims divisible by '
                f'{head_dim} for attention stages.')
        self.num_heads = dim // head_dim
        self.head_dim = head_dim
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (B, N, C)
        qkv = self.qkv(tokens).reshape(b, h * w, 3, self.num_heads,
                                       self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        out = self.proj(out.transpose(1, 2).reshape(b, h * w, c))
        return out.transpose(1, 2).reshape(b, c, h, w)


class FastViTRepMixerBlock(nn.Module):
    """``x = RepMixer(x); x = x + DP(layer_scale(ConvFFN(x)))``.

    ``token_mixer.layer_scale`` (RepMixer's own, fused away in the deploy
    form) and ``layer_scale`` (this block's, a :class:`LayerScale`) are two
    different per-channel factors.
    """

    def __init__(self, dim: int, mlp_ratio: float, layer_scale_init: float,
                 drop_path: float, norm_cfg: dict, act_cfg: dict,
                 deploy: bool) -> None:
        super().__init__()
        self.token_mixer = RepMixer(dim, 3, layer_scale_init, norm_cfg, deploy)
        self.convffn = FastViTConvFFN(dim, int(dim * mlp_ratio), norm_cfg,
                                      act_cfg)
        self.layer_scale = LayerScale(
            dim, layer_scale_init, channels_first=True)
        self.drop_path = drop_path_or_identity(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.token_mixer(x)
        return x + self.drop_path(self.layer_scale(self.convffn(x)))


class FastViTAttentionBlock(nn.Module):
    """Pre-norm (BN) attention block with ConvFFN and two layer scales."""

    def __init__(self, dim: int, mlp_ratio: float, layer_scale_init: float,
                 drop_path: float, norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        self.norm = build_norm_layer(norm_cfg, dim)[1]
        self.token_mixer = FastViTAttention(dim)
        self.convffn = FastViTConvFFN(dim, int(dim * mlp_ratio), norm_cfg,
                                      act_cfg)
        self.layer_scale_1 = LayerScale(
            dim, layer_scale_init, channels_first=True)
        self.layer_scale_2 = LayerScale(
            dim, layer_scale_init, channels_first=True)
        self.drop_path = drop_path_or_identity(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(
            self.layer_scale_1(self.token_mixer(self.norm(x))))
        return x + self.drop_path(self.layer_scale_2(self.convffn(x)))


class FastViTDownsample(nn.Module):
    """Stride-2 large-kernel (7x7 + 3x3) grouped conv, then a 1x1 MobileOne.

    ``groups = in_channels`` and ``out = 2 * in`` for the official variants,
    so every input channel feeds ``out / in`` output channels.
    """

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict,
                 act_cfg: dict, deploy: bool) -> None:
        super().__init__()
        if out_channels % in_channels:
            raise ValueError(
                f'FastViT downsampling uses groups=in_channels, so each '
                f'stage width must be a multiple of the previous one; got '
                f'{in_channels} -> {out_channels}.')
        self.proj = nn.Sequential(
            ReparamLargeKernelConv(
                in_channels,
                out_channels,
                7,
                2,
                groups=in_channels,
                small_kernel=3,
                norm_cfg=norm_cfg,
                deploy=deploy),
            MobileOneBlock(
                out_channels,
                out_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                deploy=deploy))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class FastViTStage(HVTStage):
    """``downsample``, then ``pos_embed`` (a 7x7 :class:`RepCPE`, or
    ``nn.Identity``), then ``blocks``.

    Args:
        downsample: :class:`FastViTDownsample` leading into the stage, or
            None (the first stage).
        pos_embed: Conditional positional encoding applied before the
            blocks, or None.
        blocks: The stage's RepMixer or attention blocks.
    """

    def __init__(self, downsample: Optional[nn.Module],
                 pos_embed: Optional[nn.Module],
                 blocks: List[nn.Module]) -> None:
        super().__init__(downsample, blocks)
        # blocks re-registered after pos_embed: parameters (and state-dict
        # entries) are then listed in execution order
        blocks = self._modules.pop('blocks')
        self.pos_embed = nn.Identity() if pos_embed is None else pos_embed
        self.blocks = blocks

    def forward(self, x: torch.Tensor, run_block: RunBlock) -> torch.Tensor:
        x = self.pos_embed(self.downsample(x))
        for block in self.blocks:
            x = run_block(block, x)
        return x


@register_model
class FastViT(HVTBackbone):
    """FastViT backbone (arXiv 2303.14189) for dense prediction.

    ``stem``: three MobileOne blocks (stride 4). ``stages[i]``
    (:class:`FastViTStage`): ``downsample``, the large-kernel stride-2
    :class:`FastViTDownsample` leading into the stage (``nn.Identity`` for
    stage 0); ``pos_embed``, a 7x7 :class:`RepCPE` where the arch asks for
    one (the attention stage of SA/MA variants), else ``nn.Identity``; and
    ``blocks``, RepMixer or attention blocks. ``norm{i}``: output norms.
    All training-time branches fold into single convs with
    :meth:`switch_to_deploy`; ``deploy=True`` builds that fused structure
    directly (for loading fused checkpoints).

    Differences from apple/ml-fastvit:

    * Module names: the official flat ``network`` list (``[stage0, down1,
      stage1, down2, stage2, down3, (RepCPE,) stage3]``) becomes
      ``stages[i].{downsample,pos_embed,blocks}``, ``patch_embed`` becomes
      ``stem``, and the blocks' ``layer_scale``/``layer_scale_1``/
      ``layer_scale_2`` tensors of shape ``(C, 1, 1)`` become
      :class:`LayerScale` modules (``.weight`` of shape ``(C,)``).
      :func:`hvt_mm.checkpoint.fastvit.convert` maps official files (and
      hvt_mm checkpoints of the earlier, official-names layout).
    * Outputs are taken after each full stage; for SA/MA variants the last
      output is after the attention stage (the reference returns the
      RepCPE output instead and drops the attention stage).
    * The downsampling computes no activation (the reference computes one
      and discards it; numerics are identical).
    * Reparameterization is idempotent and works in either mode (it fuses
      the BatchNorm running statistics and leaves eval mode); loading a
      fused checkpoint into a training-form model raises, an unfused one
      loaded into a ``deploy=True`` model is fused on load.
    * ``out_norm_cfg`` output norms ``norm{i}`` are new parameters.
    * ``norm_eval`` affects BatchNorm-type layers only, which is every norm
      here.

    Args:
        arch: ``'t8'``, ``'t12'``, ``'s12'``, ``'sa12'``, ``'sa24'``,
            ``'sa36'``, ``'ma36'`` or a dict with the keys of ``arch_zoo``.
        in_channels: input channels. Defaults to 3.
        out_indices: stages to return. Defaults to all four.
        out_norm_cfg: norm after each returned map; None for raw stage
            features. Defaults to BN.
        frozen_stages: -1 none, 0 stem, k stem plus stages 0..k-1 and their
            output norms.
        norm_eval: keep BatchNorm layers in eval mode while training.
        with_cp: gradient checkpointing per block.
        drop_path_rate: stochastic depth of the last block (linear rise).
        deploy: build the fused (reparameterized) form.
        norm_cfg: BatchNorm-type config of every internal norm.
        act_cfg: activation config (GELU in the paper).
        init_cfg: mmengine init config; ``Pretrained`` loads official files.
    """

    # arXiv 2303.14189 Table 1 / ml-fastvit models/fastvit.py; 'pos_embeds'
    # marks stages preceded by a 7x7 conditional positional encoding.
    # yapf: disable
    arch_zoo: Dict[str, dict] = {
        't8':   dict(depths=[2, 2, 4, 2],  embed_dims=[48, 96, 192, 384], mlp_ratios=[3, 3, 3, 3], block_types=['repmixer'] * 4,                 pos_embeds=[False] * 4,          layer_scale_init=1e-5),
        't12':  dict(depths=[2, 2, 6, 2],  embed_dims=[64, 128, 256, 512], mlp_ratios=[3, 3, 3, 3], block_types=['repmixer'] * 4,                pos_embeds=[False] * 4,          layer_scale_init=1e-5),
        's12':  dict(depths=[2, 2, 6, 2],  embed_dims=[64, 128, 256, 512], mlp_ratios=[4, 4, 4, 4], block_types=['repmixer'] * 4,                pos_embeds=[False] * 4,          layer_scale_init=1e-5),
        'sa12': dict(depths=[2, 2, 6, 2],  embed_dims=[64, 128, 256, 512], mlp_ratios=[4, 4, 4, 4], block_types=['repmixer'] * 3 + ['attention'], pos_embeds=[False] * 3 + [True], layer_scale_init=1e-5),
        'sa24': dict(depths=[4, 4, 12, 4], embed_dims=[64, 128, 256, 512], mlp_ratios=[4, 4, 4, 4], block_types=['repmixer'] * 3 + ['attention'], pos_embeds=[False] * 3 + [True], layer_scale_init=1e-5),
        'sa36': dict(depths=[6, 6, 18, 6], embed_dims=[64, 128, 256, 512], mlp_ratios=[4, 4, 4, 4], block_types=['repmixer'] * 3 + ['attention'], pos_embeds=[False] * 3 + [True], layer_scale_init=1e-6),
        'ma36': dict(depths=[6, 6, 18, 6], embed_dims=[76, 152, 304, 608], mlp_ratios=[4, 4, 4, 4], block_types=['repmixer'] * 3 + ['attention'], pos_embeds=[False] * 3 + [True], layer_scale_init=1e-6),
    }
    # yapf: enable
    checkpoint_converter = staticmethod(fastvit_checkpoint.convert)
    min_input_size = 32  # one pixel at stride 32

    def __init__(self,
                 arch: Union[str, dict] = 'sa12',
                 in_channels: int = 3,
                 out_indices: OutIndices = (0, 1, 2, 3),
                 out_norm_cfg: Optional[dict] = dict(type='BN'),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 drop_path_rate: float = 0.1,
                 deploy: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='GELU'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(in_channels, frozen_stages, norm_eval, with_cp,
                         init_cfg, deploy)
        self.arch_settings = settings = self.parse_arch(arch)
        self._check_settings(settings)
        self.norm_cfg, self.act_cfg = norm_cfg, act_cfg
        dims = settings['embed_dims']
        self.stem = nn.Sequential(
            MobileOneBlock(
                in_channels,
                dims[0],
                3,
                2,
                groups=1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                deploy=deploy),
            MobileOneBlock(
                dims[0],
                dims[0],
                3,
                2,
                groups=dims[0],
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                deploy=deploy),
            MobileOneBlock(
                dims[0],
                dims[0],
                1,
                1,
                groups=1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                deploy=deploy))

        self.stages = nn.ModuleList()
        rates = self.drop_path_rates(drop_path_rate, settings['depths'])
        for i, depth in enumerate(settings['depths']):
            downsample = None if i == 0 else FastViTDownsample(
                dims[i - 1], dims[i], norm_cfg, act_cfg, deploy)
            pos_embed = RepCPE(dims[i], 7, deploy) \
                if settings['pos_embeds'][i] else None
            blocks = [
                self._make_block(settings, i, rates[i][j], norm_cfg, act_cfg)
                for j in range(depth)
            ]
            self.stages.append(FastViTStage(downsample, pos_embed, blocks))
        self._init_outputs(dims, out_indices, out_norm_cfg)

    # ----------------------------------------------------------------- build
    @staticmethod
    def _check_settings(settings: dict) -> None:
        num_stages = len(settings['depths'])
        for key in ('embed_dims', 'mlp_ratios', 'block_types', 'pos_embeds'):
            if len(settings[key]) != num_stages:
                raise ValueError(
                    f'FastViT arch: {key} has {len(settings[key])} entries '
                    f'but depths has {num_stages}; give one per stage.')
        unknown = set(settings['block_types']) - {'repmixer', 'attention'}
        if unknown:
            raise ValueError(
                f'FastViT arch: unknown block_types {sorted(unknown)}; use '
                "'repmixer' or 'attention'.")

    def _make_block(self, settings: dict, stage: int, drop_path: float,
                    norm_cfg: dict, act_cfg: dict) -> nn.Module:
        dim = settings['embed_dims'][stage]
        ratio = settings['mlp_ratios'][stage]
        scale = settings['layer_scale_init']
        if settings['block_types'][stage] == 'attention':
            return FastViTAttentionBlock(dim, ratio, scale, drop_path,
                                         norm_cfg, act_cfg)
        return FastViTRepMixerBlock(dim, ratio, scale, drop_path, norm_cfg,
                                    act_cfg, self.deploy)

    def _init_custom_weights(self) -> None:
        # As ml-fastvit: truncated normal for linear layers and ConvFFN
        # convs, PyTorch defaults elsewhere.
        for module in self.modules():
            if isinstance(module, FastViTConvFFN):
                convs = [module.conv.conv, module.fc1, module.fc2]
            elif isinstance(module, nn.Linear):
                convs = [module]
            else:
                continue
            for layer in convs:
                trunc_normal_(layer.weight, std=0.02)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)

    # --------------------------------------------------------------- forward
    # --------------------------------------------------------- reparameterize
    # switch_to_deploy(), deploy=True and fusing a training-form checkpoint
    # on load come from HVTBackbone; the fusible bricks are those of
    # layers.reparam. ConvFFN's conv-BN stays unfused, as in the official
    # fused (``*_reparam``) checkpoints, which therefore load strictly.
    @classmethod
    def variant_kwargs(cls, state: StateDict) -> dict:
        return dict(
            deploy=fastvit_checkpoint.checkpoint_form(state) == 'fused')
