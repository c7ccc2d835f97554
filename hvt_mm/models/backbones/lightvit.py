"""LightViT backbone for dense prediction.

LightViT: Towards Light-Weight Convolution-Free Vision Transformers
(Huang et al., arXiv 2207.05557). A convolutional stem reaches stride 8;
three stages (strides 8/16/32) mix local 7x7 window attention with a few
learnable global tokens that aggregate from and broadcast to all image
tokens; the FFN is gated by a bi-dimensional (channel + spatial) attention.
"""
import math
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model.weight_init import trunc_normal_

from ...checkpoint import lightvit as lightvit_checkpoint
from ...registry import register_model
from ..layers import (HVTStage, drop_path_or_identity, pad_to_multiple,
                      window_partition, window_reverse, window_valid_mask)
from ..layers.reparam import BNFoldable, Fusible, sequential_conv_bn_pairs
from ..layers.stage import RunBlock
from .base import HVTBackbone, OutIndices

Size = Tuple[int, int]


def relative_position_index(window: int) -> torch.Tensor:
    """Swin-v1 index into a ``((2w-1)^2, heads)`` table, shape ``(w^4,)``."""
    coords = torch.stack(
        torch.meshgrid(
            torch.arange(window), torch.arange(window),
            indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]) + (window - 1)
    return (rel[0] * (2 * window - 1) + rel[1]).flatten()


class LightViTStem(BNFoldable):
    """Conv stem to stride 8: (B, C_in, H, W) -> tokens (B, N, C), (H/8, W/8).

    ``convs``: four (conv, BN, GELU) triplets (indices 0-11; a 3x3 conv
    with stride 2, two depthwise 3x3, a depthwise 3x3 with stride 2), then
    ``proj`` (3x3 conv, stride 2, with bias) and ``norm`` (LayerNorm on the
    tokens). Every stride-2 step rounds up. The BNs fold into the convs in
    the inference form (``convs.{0,3,6,9}`` gain a bias, ``convs.{1,4,7,10}``
    become ``nn.Identity``).
    """

    def __init__(self, in_channels: int, embed_dim: int) -> None:
        super().__init__()
        mid = embed_dim // 2
        layers: List[nn.Module] = []
        for i, stride in enumerate((2, 1, 1, 2)):
            layers += [
                nn.Conv2d(
                    in_channels if i == 0 else mid,
                    mid,
                    3,
                    stride,
                    1,
                    groups=1 if i == 0 else mid,
                    bias=False),
                nn.BatchNorm2d(mid),
                nn.GELU(),
            ]
        self.convs = nn.Sequential(*layers)
        self.proj = nn.Conv2d(mid, embed_dim, 3, 2, 1)
        self.norm = nn.LayerNorm(embed_dim)

    def conv_norm_pairs(self) -> List[Tuple[str, str]]:
        return sequential_conv_bn_pairs(self.convs, 'convs')

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Size]:
        x = self.proj(self.convs(x))
        hw = (x.shape[2], x.shape[3])
        return self.norm(x.flatten(2).transpose(1, 2)), hw


class LightViTAttention(Fusible):
    """Local window attention plus global-token aggregation and broadcast.

    Input and output are ``(B, NT + H*W, C)`` with the ``NT`` global tokens
    first. Image tokens are zero-padded to window multiples for the local
    attention; with ``mask_padding`` the padded keys get exactly zero weight
    (the original lets them in), and global aggregation/broadcast only ever
    see the ``H*W`` real tokens, so outputs do not depend on padding.

    Args:
        dim: Channels ``C``.
        num_heads: Heads (head dim ``C / num_heads``).
        window_size: Local window side. Defaults to 7.
        mask_padding: Mask padded keys in local attention. Defaults to True.

    Inference form (:meth:`switch_to_deploy`): the relative position bias
    is gathered from its table once and stored as the buffer
    ``relative_position_bias`` ``(heads, w*w, w*w)``, replacing the table.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 window_size: int = 7,
                 mask_padding: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.window_size = window_size
        self.mask_padding = mask_padding
        self.qkv = nn.Linear(dim, dim * 3)
        self.kv_global = nn.Linear(dim, dim * 2)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size - 1)**2, num_heads))
        trunc_normal_(self.relative_position_bias_table, std=.02)
        # Derived from the window size, so not part of our state dicts; the
        # converter drops the copy stored in official checkpoints.
        self.register_buffer(
            'relative_position_index',
            relative_position_index(window_size),
            persistent=False)

    def position_bias(self) -> torch.Tensor:
        """Relative position bias ``(heads, w*w, w*w)``."""
        if self.deploy:
            return self.relative_position_bias
        area = self.window_size**2
        bias = self.relative_position_bias_table[
            self.relative_position_index].view(area, area, -1)
        return bias.permute(2, 0, 1)

    def _fuse(self) -> None:
        """Store the gathered position bias in place of its table."""
        bias = self.position_bias().contiguous()
        del self.relative_position_bias_table
        del self.relative_position_index
        self.register_buffer('relative_position_bias', bias)

    def _local_mask(self, size: Size, dtype: torch.dtype,
                    device: torch.device) -> torch.Tensor:
        """Additive mask ``(nW*heads, w*w, w*w)``: position bias, padding."""
        bias = self.position_bias().to(dtype)
        valid = window_valid_mask(size, self.window_size, device)
        pad = torch.zeros(valid.shape, dtype=dtype, device=device)
        if self.mask_padding:
            pad = pad.masked_fill(~valid, float('-inf'))
        mask = bias.unsqueeze(0) + pad[:, None, None, :]
        return mask.flatten(0, 1)

    def forward(self, x: torch.Tensor, hw: Size) -> torch.Tensor:
        B, L, C = x.shape
        H, W = hw
        N, h, ws = H * W, self.num_heads, self.window_size
        d = C // h
        x_glb, x_img = x[:, :L - N], x[:, L - N:]

        # qkv of the zero-padded map: unmasked, padded tokens then carry the
        # Linear bias exactly as in the original detection code.
        img = pad_to_multiple(x_img.transpose(1, 2).reshape(B, C, H, W), ws)
        Hp, Wp = img.shape[-2:]
        qkv = self.qkv(img.flatten(2).transpose(1, 2))
        qkv = qkv.transpose(1, 2).reshape(B, 3 * C, Hp, Wp)

        # Local: all windows of a sample batched as (B, nW * heads, w*w, d).
        win = window_partition(qkv, ws)
        num_win = win.shape[0] // B
        win = win.view(B, num_win, ws * ws, 3, h, d).permute(3, 0, 1, 4, 2, 5)
        q, k, v = win.reshape(3, B, num_win * h, ws * ws, d).unbind(0)
        # 4-D mask: SDPA's fused CPU flash kernel (3-D: the math path).
        mask = self._local_mask((H, W), q.dtype, q.device).unsqueeze(0)
        local = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        local = local.view(B, num_win, h, ws * ws, d).transpose(2, 3)
        local = window_reverse(local.reshape(-1, ws * ws, C), ws, (Hp, Wp))
        local = local[:, :, :H, :W].flatten(2).transpose(1, 2)

        # Global parts use the unpadded image tokens only.
        q_img, k_img, v_img = qkv[:, :, :H, :W].reshape(B, 3, h, d, N) \
            .permute(1, 0, 2, 4, 3).unbind(0)
        # Only the queries of the global tokens are used.
        q_glb = F.linear(x_glb, self.qkv.weight[:C], self.qkv.bias[:C])
        q_glb = q_glb.view(B, -1, h, d).transpose(1, 2)
        x_glb = F.scaled_dot_product_attention(q_glb, k_img, v_img)
        x_glb = x_glb.transpose(1, 2).reshape(B, -1, C)

        k_g, v_g = self.kv_global(x_glb).view(B, -1, 2, h, d) \
            .permute(2, 0, 3, 1, 4).unbind(0)
        broadcast = F.scaled_dot_product_attention(q_img, k_g, v_g)
        x_img = local + broadcast.transpose(1, 2).reshape(B, N, C)
        return self.proj(torch.cat([x_glb, x_img], dim=1))


class LightViTBiAttn(nn.Module):
    """Channel and spatial gates computed from the FFN output.

    The global descriptor is the mean over all tokens present (global tokens
    included, as in the original).
    """

    def __init__(self, dim: int, reduce_ratio: float = 0.25) -> None:
        super().__init__()
        reduced = int(dim * reduce_ratio)
        self.norm = nn.LayerNorm(dim)
        self.global_reduce = nn.Linear(dim, reduced)
        self.local_reduce = nn.Linear(dim, reduced)
        self.channel_select = nn.Linear(reduced, dim)
        self.spatial_select = nn.Linear(reduced * 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.norm(x)
        g = F.gelu(self.global_reduce(z.mean(1, keepdim=True)))
        loc = F.gelu(self.local_reduce(z))
        channel = torch.sigmoid(self.channel_select(g))
        spatial = torch.sigmoid(
            self.spatial_select(torch.cat([loc, g.expand_as(loc)], dim=-1)))
        return x * channel * spatial


class LightViTMlp(nn.Module):
    """FFN (fc1, GELU, fc2) followed by :class:`LightViTBiAttn`."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.attn = LightViTBiAttn(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(self.fc2(F.gelu(self.fc1(x))))


class LightViTBlock(nn.Module):
    """Pre-norm attention + BiAttn-FFN block on ``(B, NT + H*W, C)`` tokens.

    Args:
        drop_global: Discard the global tokens after the attention residual
            (the published detectors do so in the very last block, where
            they would be unused; it changes BiAttn's token mean).
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 mlp_ratio: float,
                 drop_path: float = 0.,
                 window_size: int = 7,
                 mask_padding: bool = True,
                 drop_global: bool = False) -> None:
        super().__init__()
        self.drop_global = drop_global
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = LightViTAttention(dim, num_heads, window_size,
                                      mask_padding)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = LightViTMlp(dim, int(dim * mlp_ratio))
        self.drop_path = drop_path_or_identity(drop_path)

    def forward(self, x: torch.Tensor, hw: Size) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), hw))
        if self.drop_global:
            x = x[:, -hw[0] * hw[1]:]
        return x + self.drop_path(self.mlp(self.norm2(x)))


class LightViTMerge(nn.Module):
    """Residual 2x2 patch merging that also projects the global tokens.

    Odd maps are zero-padded to even size, so ``(H, W)`` becomes
    ``(ceil(H/2), ceil(W/2))``.
    """

    def __init__(self, dim: int, out_dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, out_dim, bias=False)
        self.norm2 = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, out_dim, bias=False)
        self.res_proj = nn.Linear(dim, out_dim, bias=False)

    def forward(self, x: torch.Tensor, hw: Size) -> Tuple[torch.Tensor, Size]:
        B, L, C = x.shape
        H, W = hw
        glb, img = x[:, :L - H * W], x[:, L - H * W:]
        img = pad_to_multiple(img.transpose(1, 2).reshape(B, C, H, W), 2)
        res = self.res_proj(F.max_pool2d(img, 2).flatten(2).transpose(1, 2))
        # Phase order (row, col) = 00, 10, 01, 11 is fixed by the weights.
        phases = [img[:, :, r::2, c::2] for c in (0, 1) for r in (0, 1)]
        img = torch.cat(phases, dim=1).flatten(2).transpose(1, 2)
        img = self.reduction(self.norm(img)) + res
        glb = self.proj(self.norm2(glb))
        return torch.cat([glb, img],
                         dim=1), (math.ceil(H / 2), math.ceil(W / 2))


class LightViTStage(HVTStage):
    """A stage on ``(B, NT + H*W, C)`` tokens, the ``NT`` global tokens
    first.

    ``downsample`` is the :class:`LightViTMerge` leading into the stage
    (``nn.Identity`` for the first stage); it halves the map and projects
    image and global tokens to the stage width. ``blocks`` are
    :class:`LightViTBlock` s, which carry the global tokens along with the
    image tokens.
    """

    def forward(
            self,
            x: torch.Tensor,
            hw: Size,
            run_block: Optional[RunBlock] = None) -> Tuple[torch.Tensor, Size]:
        """Return the stage's tokens and their map size ``(H, W)``.

        ``run_block(block, x, hw)`` calls each block (the backbone passes
        its gradient-checkpointing wrapper); None calls them directly.
        """
        if not isinstance(self.downsample, nn.Identity):
            x, hw = self.downsample(x, hw)
        for block in self.blocks:
            x = block(x, hw) if run_block is None else run_block(block, x, hw)
        return x, hw


@register_model
class LightViT(HVTBackbone):
    """LightViT backbone (T/S/B) with four output levels.

    Module layout: ``stem`` (:class:`LightViTStem`, convolutions to stride
    8), the top-level ``global_token`` parameter ``(1, NT, C0)``,
    ``stages[i]`` (:class:`LightViTStage`: ``downsample``, the
    :class:`LightViTMerge` leading into stage ``i`` (``nn.Identity`` for
    stage 0), and ``blocks``, its :class:`LightViTBlock` s), ``trans_conv``
    and the output norms ``norm{i}``. Official checkpoints name the stem
    ``patch_embed`` and put each merge at index 0 of ``stages.{i}`` with the
    blocks after it; :func:`hvt_mm.checkpoint.lightvit.convert` maps them
    (and this package's earlier layout, which used the official names).

    Output levels (``out_indices`` ranges over them):

    * level 0, stride 4: ``trans_conv`` (2x2 transposed conv, stride 2,
      ``C0 -> C0``) applied to the stage-0 map and cropped to
      ``ceil(H/4) x ceil(W/4)``. It is new (absent from the official
      weights, where the LightViT FPN neck adds a similar layer after the
      top-down fusion); built only if requested. This gives standard FPN
      necks and UperNet their four levels.
    * levels 1, 2, 3: the three transformer stages, strides 8/16/32, image
      tokens only. Output norm ``norm{i}`` belongs to level ``i`` (the
      official detection code names the stage norms ``norm0..2``).

    ``frozen_stages`` counts the three transformer stages: 0 freezes the
    stem and the global tokens, ``k`` also ``stages[0..k-1]`` (merges
    included) and the norms of levels ``1..k``; ``trans_conv`` and
    ``norm0`` are never frozen. Layer-wise lr decay: the stem and the
    global tokens are layer 0, each block one layer, a merge joins the
    first block of its stage.
    ``norm_eval`` concerns BatchNorm, which only the stem has (the official
    ``stem_norm_eval``).

    The published detectors (hunto/LightViT ``detection/``) use levels 1-3
    with :class:`~hvt_mm.models.necks.LightViTFPN`, ``mask_padding=False``
    and, for LightViT-T, ``num_tokens=512`` with
    ``reinit_mismatched_tokens=True``; their checkpoints load as they are
    (the converter maps their stage norms ``norm0..2`` to ``norm1..3``).

    Differences from the original: inputs of any size (padding as in the
    official detection code, plus masking of padded keys in local attention
    unless ``mask_padding=False``); global-token counts per variant as in the
    classification weights unless ``num_tokens`` says otherwise (the official
    LightViT-T detection config builds 512 zero tokens that cannot take the
    8 pretrained ones); the relative position index is not stored.

    Args:
        arch: ``'t'``, ``'s'``, ``'b'`` (or ``'tiny'``, ``'small'``,
            ``'base'``) or a dict with the keys of :attr:`arch_zoo`.
        in_channels: Input channels. Defaults to 3.
        out_indices: Output levels (see above). Defaults to (0, 1, 2, 3).
        out_norm_cfg: Norm of each output; None returns raw features.
            Defaults to ``LN2d`` with eps 1e-6 (the official output norms).
        frozen_stages: See above. Defaults to -1.
        norm_eval: Keep the stem BatchNorms in eval mode. Defaults to False.
        with_cp: Gradient checkpointing per block. Defaults to False.
        drop_path_rate: Maximum stochastic depth. Defaults to 0.1.
        window_size: Local attention window. Defaults to 7.
        mask_padding: Give padded window tokens zero attention weight.
            Defaults to True; False reproduces the original detector.
        drop_global_last: Drop global tokens before the FFN of the last
            block, as the published detectors do. False matches the
            classification model. Defaults to True.
        num_tokens: Global tokens; None takes the arch's (T 8, S 16, B 24,
            as the ImageNet weights). Defaults to None.
        reinit_mismatched_tokens: When a checkpoint's ``global_token``
            holds another number of tokens than the model, start from zero
            tokens (logged) instead of refusing the checkpoint; this is how
            the official LightViT-T detectors (512 tokens) start from the
            8-token ImageNet weights. Defaults to False.
        deploy: Build the inference form (:meth:`switch_to_deploy`): stem
            BatchNorms folded into their convs, relative position biases
            gathered once (``relative_position_bias`` buffers).
        init_cfg: mmengine init config; ``type='Pretrained'`` loads and
            converts official classification checkpoints.
    """

    # LightViT paper, Table 1 / official model definitions.
    arch_zoo: Dict[str, dict] = {
        **dict.fromkeys(['t', 'tiny'], {
            'embed_dims': [64, 128, 256],
            'depths':     [2, 6, 6],
            'num_heads':  [2, 4, 8],
            'mlp_ratios': [8, 4, 4],
            'num_tokens': 8}),
        **dict.fromkeys(['s', 'small'], {
            'embed_dims': [96, 192, 384],
            'depths':     [2, 6, 6],
            'num_heads':  [3, 6, 12],
            'mlp_ratios': [8, 4, 4],
            'num_tokens': 16}),
        **dict.fromkeys(['b', 'base'], {
            'embed_dims': [128, 256, 512],
            'depths':     [3, 8, 6],
            'num_heads':  [4, 8, 16],
            'mlp_ratios': [8, 4, 4],
            'num_tokens': 24}),
    }  # yapf: disable
    checkpoint_converter = staticmethod(lightvit_checkpoint.convert)
    # The global tokens enter before stage 0: they freeze and decay with
    # the stem.
    stem_extras = ('global_token', )
    min_input_size = 32
    static_export_reason = (
        'window padding, the padded-window crop and odd-size merges are '
        'computed in Python from the input size; torch.export cannot keep '
        'these symbolic for all sizes (it proposes a lattice of sizes).')
    # The stride-4 level is new: official checkpoints cannot contain it.
    optional_checkpoint_keys = re.compile(r'(norm\d+|trans_conv)\.')

    def __init__(self,
                 arch: Union[str, dict] = 't',
                 in_channels: int = 3,
                 out_indices: OutIndices = (0, 1, 2, 3),
                 out_norm_cfg: Optional[dict] = dict(type='LN2d', eps=1e-6),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 drop_path_rate: float = 0.1,
                 window_size: int = 7,
                 mask_padding: bool = True,
                 drop_global_last: bool = True,
                 num_tokens: Optional[int] = None,
                 reinit_mismatched_tokens: bool = False,
                 deploy: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(in_channels, frozen_stages, norm_eval, with_cp,
                         init_cfg, deploy)
        self.arch_settings = arch = self.parse_arch(arch)
        if num_tokens is not None:
            arch['num_tokens'] = num_tokens
        dims, depths = arch['embed_dims'], arch['depths']
        self._check_arch(arch)
        self.num_tokens = arch['num_tokens']
        self.reinit_mismatched_tokens = reinit_mismatched_tokens

        self.stem = LightViTStem(in_channels, dims[0])
        self.global_token = nn.Parameter(
            torch.zeros(1, self.num_tokens, dims[0]))
        trunc_normal_(self.global_token, std=.02)
        rates = self.drop_path_rates(drop_path_rate, depths)
        self.stages = nn.ModuleList()
        for s, depth in enumerate(depths):
            # Merge first: construction order fixes the random init.
            merge = LightViTMerge(dims[s - 1], dims[s]) if s > 0 else None
            blocks = [
                LightViTBlock(
                    dim=dims[s],
                    num_heads=arch['num_heads'][s],
                    mlp_ratio=arch['mlp_ratios'][s],
                    drop_path=rates[s][j],
                    window_size=window_size,
                    mask_padding=mask_padding,
                    drop_global=drop_global_last and s == len(depths) - 1
                    and j == depth - 1) for j in range(depth)
            ]
            self.stages.append(LightViTStage(merge, blocks))

        levels = self.parse_out_indices(out_indices, len(depths) + 1)
        if 0 in levels:
            self.trans_conv = nn.ConvTranspose2d(dims[0], dims[0], 2, 2)
        self._init_outputs([dims[0]] + list(dims), levels, out_norm_cfg)

    @staticmethod
    def _check_arch(arch: dict) -> None:
        lengths = {
            len(arch[k])
            for k in ('embed_dims', 'depths', 'num_heads', 'mlp_ratios')
        }
        if len(lengths) != 1:
            raise ValueError('LightViT arch lists embed_dims, depths, '
                             'num_heads and mlp_ratios need equal lengths, '
                             f'got {arch}.')
        for dim, heads in zip(arch['embed_dims'], arch['num_heads']):
            if dim % heads:
                raise ValueError(
                    f'LightViT embed_dims {dim} must be divisible by its '
                    f'num_heads {heads}.')
        if not isinstance(arch['num_tokens'], int) or arch['num_tokens'] < 1:
            raise ValueError('LightViT num_tokens must be a positive int, '
                             f'got {arch["num_tokens"]!r}.')

    # --------------------------------------------------------------- forward
    def forward_stem(self, x: torch.Tensor):
        """State: global + image tokens ``(B, NT + h*w, C)``, the token grid
        ``(h, w)`` and the input size (the stride-4 level is cropped to
        it)."""
        tokens, hw = self.stem(x)
        glb = self.global_token.expand(x.shape[0], -1, -1)
        return (torch.cat([glb, tokens], dim=1), hw, x.shape[-2:]), {}

    def run_stage(self, stage: nn.Module, state):
        x, hw, size = state
        return (*stage(x, hw, self._run_block), size)

    def stage_outputs(self, index: int, state) -> Dict[int, torch.Tensor]:
        """Stage ``i`` gives level ``i + 1``; stage 0 also the stride-4
        level 0 (``trans_conv``) when it is requested."""
        x, hw, (H, W) = state
        feat = x[:, -hw[0] * hw[1]:].transpose(1,
                                               2).reshape(x.shape[0], -1, *hw)
        levels = {index + 1: feat}
        if index == 0 and 0 in self.out_indices:
            up = self.trans_conv(feat)
            levels[0] = up[:, :, :math.ceil(H / 4), :math.ceil(W / 4)]
        return levels

    # ------------------------------------------------------------ structure
    def stem_levels(self) -> Sequence[int]:
        """None: the stride-4 level (``trans_conv`` and ``norm0``, computed
        from the stage-0 map) is new, absent from the official weights, and
        never frozen."""
        return ()

    # ----------------------------------------------------------- checkpoints
    @classmethod
    def variant_kwargs(cls, state: Dict[str, torch.Tensor]) -> dict:
        tokens = state.get('global_token')
        return {} if tokens is None else dict(num_tokens=tokens.shape[1])

    def adapt_state_dict(
            self, state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        tokens = state.get('global_token')
        if (self.reinit_mismatched_tokens and tokens is not None
                and tokens.shape != self.global_token.shape):
            print_log(
                f'LightViT: the checkpoint has {tokens.shape[1]} global '
                f'tokens, the model {self.num_tokens}; starting from zero '
                'tokens (reinit_mismatched_tokens=True).',
                logger='current')
            state = dict(
                state, global_token=tokens.new_zeros(self.global_token.shape))
        return super().adapt_state_dict(state)

    # ---------------------------------------------------------- initialise
    def _init_custom_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        if hasattr(self, 'trans_conv'):
            nn.init.xavier_uniform_(self.trans_conv.weight)
            nn.init.zeros_(self.trans_conv.bias)
