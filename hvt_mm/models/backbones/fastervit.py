"""FasterViT backbone (variants 0-6 and the ImageNet-21K models), any size.

Hatamizadeh et al., "FasterViT: Fast Vision Transformers with Hierarchical
Attention", ICLR 2024 (arXiv 2306.06189). Clean-room implementation from the
specification, in the layout shared by every hvt_mm family (``stem``,
``stages[i].downsample``, ``stages[i].blocks``); the official checkpoint names
are mapped by :func:`hvt_mm.checkpoint.fastervit.convert`.
"""
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...checkpoint import fastervit as fastervit_checkpoint
from ...registry import register_model
from ..layers import (ContinuousPositionBias, HVTStage, LayerScale, LN2d,
                      MLPPositionEmbedding, drop_path_or_identity,
                      pad_to_multiple, window_partition, window_reverse,
                      window_valid_mask)
from ..layers.reparam import BNFoldable, Fusible, sequential_conv_bn_pairs
from .base import HVTBackbone, OutIndices

# ``HVTBackbone._run_block``: conv blocks return a map, HAT blocks the map
# and the carrier tokens.
RunBlock = Callable[..., Union[torch.Tensor, Tuple[torch.Tensor,
                                                   Optional[torch.Tensor]]]]
Size2d = Tuple[int, int]


def _layer_scale(dim: int, init: Optional[float]) -> nn.Module:
    """Per-channel layer scale, or ``nn.Identity`` (no entry in the state
    dict) when ``init`` is None: the reference then multiplies by 1."""
    return nn.Identity() if init is None else LayerScale(dim, init)


class FasterViTStem(BNFoldable):
    """Two stride-2 3x3 conv-BN-ReLU layers, stride 4 (the official
    ``patch_embed``); the BNs fold into the convs in the inference form."""

    def __init__(self, in_channels: int, stem_dims: int, out_dims: int):
        super().__init__()
        self.conv_down = nn.Sequential(
            nn.Conv2d(in_channels, stem_dims, 3, 2, 1, bias=False),
            nn.BatchNorm2d(stem_dims, eps=1e-4), nn.ReLU(),
            nn.Conv2d(stem_dims, out_dims, 3, 2, 1, bias=False),
            nn.BatchNorm2d(out_dims, eps=1e-4), nn.ReLU())

    def conv_norm_pairs(self) -> List[Tuple[str, str]]:
        return sequential_conv_bn_pairs(self.conv_down, 'conv_down')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_down(x)


class FasterViTDownsample(nn.Module):
    """Channel LayerNorm then a stride-2 3x3 conv from ``dim`` to
    ``out_dim`` channels (twice as many in every variant)."""

    def __init__(self, dim: int, out_dim: int):
        super().__init__()
        self.norm = LN2d(dim, eps=1e-6)
        self.reduction = nn.Sequential(
            nn.Conv2d(dim, out_dim, 3, 2, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.reduction(self.norm(x))


class FasterViTConvBlock(BNFoldable):
    """Residual conv-BN-GELU-conv-BN block (no activation after the add);
    the BNs fold into the convs in the inference form."""

    def __init__(self, dim: int, drop_path: float = 0.):
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, 1, 1)
        self.norm1 = nn.BatchNorm2d(dim, eps=1e-5)
        self.act1 = nn.GELU()
        self.conv2 = nn.Conv2d(dim, dim, 3, 1, 1)
        self.norm2 = nn.BatchNorm2d(dim, eps=1e-5)
        self.drop_path = drop_path_or_identity(drop_path)

    def conv_norm_pairs(self) -> List[Tuple[str, str]]:
        return [('conv1', 'norm1'), ('conv2', 'norm2')]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm2(self.conv2(self.act1(self.norm1(self.conv1(x)))))
        return x + self.drop_path(y)


class FasterViTMlp(nn.Module):
    """Token MLP ``fc1 -> GELU -> fc2``."""

    def __init__(self, dim: int, hidden_dim: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class FasterViTAttention(nn.Module):
    """Multi-head self-attention with a continuous relative position bias.

    ``qkv`` outputs are laid out ``[q | k | v] x heads x head_dim``. The bias
    covers a ``size`` token grid preceded by ``num_free`` tokens without
    position (bias 0), as in the reference. Attention runs through
    :func:`torch.nn.functional.scaled_dot_product_attention`.
    """

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim)
        self.pos_emb_funct = ContinuousPositionBias(num_heads)

    def forward(self,
                x: torch.Tensor,
                size: Tuple[int, int],
                norm_size: Tuple[int, int],
                num_free: int = 0,
                key_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend over ``x`` of shape ``(..., N, C)``.

        ``key_mask`` (additive, broadcastable to ``(..., 1, 1, N)``) masks
        keys on top of the position bias.
        """
        *lead, N, C = x.shape
        qkv = self.qkv(x).view(*lead, N, 3, self.num_heads,
                               C // self.num_heads)
        # Non-negative dims: the TorchScript exporter writes a negative
        # movedim source into the ONNX Transpose perm as it is.
        q, k, v = qkv.movedim(qkv.dim() - 3, 0).transpose(-3, -2).unbind(0)
        bias = self.pos_emb_funct(size, norm_size, num_free).to(q.dtype)
        if key_mask is not None:
            bias = bias + key_mask.to(q.dtype)
        if bias.dim() == 3:
            # A 4-D mask keeps SDPA on the fused CPU flash kernel; with a
            # 3-D one it falls back to the math path (about 5x slower).
            bias = bias.unsqueeze(0)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.transpose(-3, -2).reshape(*lead, N, C))


class FasterViTGeometry(NamedTuple):
    """Run-time geometry of one HAT stage (shared by its blocks)."""
    batch: int
    window: int
    windows: Tuple[int, int]  # window grid (sr_h, sr_w)
    ct_size: int
    ct_grid: Tuple[int, int]  # carrier-token grid (Gh, Gw)
    ct_norm: Tuple[int, int]  # normalisation size of the CT bias
    key_mask: Optional[torch.Tensor]  # (nW, 1, 1, N) additive, or None


def ct_to_windows(ct: torch.Tensor, geo: FasterViTGeometry) -> torch.Tensor:
    """Raster CTs ``(B, Gh*Gw, C)`` -> per window ``(B*nW, ct^2, C)``.

    Window ``(a, b)`` owns the CTs at grid cells ``(a*ct + i, b*ct + j)``,
    for rectangular grids too.
    """
    B, _, C = ct.shape
    grid = ct.transpose(1, 2).reshape(B, C, *geo.ct_grid)
    return window_partition(grid, geo.ct_size)


def windows_to_ct(ct: torch.Tensor, geo: FasterViTGeometry) -> torch.Tensor:
    """Inverse of :func:`ct_to_windows`."""
    grid = window_reverse(ct, geo.ct_size, geo.ct_grid)
    return grid.flatten(2).transpose(1, 2)


class FasterViTHATBlock(nn.Module):
    """Hierarchical attention block.

    Window tokens get an absolute MLP embedding. When carrier tokens (CTs)
    are given, they first attend globally among themselves (``hat_*``), then
    each window's CTs are prepended to its tokens for local attention, and
    split off again. With ``propagate`` (last block of a stage with
    ``do_propagation``) the CTs are upsampled (nearest) into their window,
    scaled by the CT attention's layer scale (as in the reference).

    Layer scales (:class:`~hvt_mm.models.layers.LayerScale`, channels last)
    exist only when ``layer_scale_init`` is set (``nn.Identity``
    otherwise): ``layer_scale1``/``layer_scale2`` after the window attention
    and MLP, ``hat_layer_scale1``/``hat_layer_scale2`` after the CT
    attention and MLP (the official ``gamma3``, ``gamma4``, ``gamma1``,
    ``gamma2``).

    Args:
        dim: Channels.
        num_heads: Attention heads.
        mlp_ratio: MLP hidden width over ``dim``. Defaults to 4.
        drop_path: Stochastic depth rate. Defaults to 0.
        layer_scale_init: Initial layer scale, or None for none (default).
        hierarchical: Build the carrier-token branch. Defaults to False.
        propagate: Add CTs back to the window tokens at the end. Defaults
            to False.
        token_count_coords: See :class:`MLPPositionEmbedding`.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 drop_path: float = 0.,
                 layer_scale_init: Optional[float] = None,
                 hierarchical: bool = False,
                 propagate: bool = False,
                 token_count_coords: bool = False):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.hierarchical = hierarchical
        self.propagate = propagate and hierarchical
        self.pos_embed = MLPPositionEmbedding(
            dim, token_count_coords=token_count_coords)
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = FasterViTAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = FasterViTMlp(dim, hidden)
        self.drop_path = drop_path_or_identity(drop_path)
        self.layer_scale1 = _layer_scale(dim, layer_scale_init)
        self.layer_scale2 = _layer_scale(dim, layer_scale_init)
        if hierarchical:
            self.hat_norm1 = nn.LayerNorm(dim, eps=1e-5)
            self.hat_norm2 = nn.LayerNorm(dim, eps=1e-5)
            self.hat_attn = FasterViTAttention(dim, num_heads)
            self.hat_mlp = FasterViTMlp(dim, hidden)
            self.hat_pos_embed = MLPPositionEmbedding(
                dim, token_count_coords=token_count_coords)
            self.hat_layer_scale1 = _layer_scale(dim, layer_scale_init)
            self.hat_layer_scale2 = _layer_scale(dim, layer_scale_init)

    def forward(
            self, x: torch.Tensor, ct: Optional[torch.Tensor],
            geo: FasterViTGeometry
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``x``: ``(B*nW, ws^2, C)`` windows; ``ct``: raster ``(B, NG, C)``
        carrier tokens or None (stage not hierarchical at this size)."""
        ws = geo.window
        x = x + self.pos_embed((ws, ws)).to(x.dtype)
        num_ct = 0
        if ct is not None:
            ct = ct + self.hat_pos_embed(geo.ct_grid).to(ct.dtype)
            ct = ct + self.drop_path(
                self.hat_layer_scale1(
                    self.hat_attn(
                        self.hat_norm1(ct), geo.ct_grid, geo.ct_norm)))
            ct = ct + self.drop_path(
                self.hat_layer_scale2(self.hat_mlp(self.hat_norm2(ct))))
            num_ct = geo.ct_size**2
            x = torch.cat([ct_to_windows(ct, geo), x], dim=1)
        x = x + self.drop_path(
            self.layer_scale1(self._window_attn(x, geo, num_ct)))
        x = x + self.drop_path(self.layer_scale2(self.mlp(self.norm2(x))))
        if ct is not None:
            ct_win, x = x.split([num_ct, ws * ws], dim=1)
            ct = windows_to_ct(ct_win, geo)
            if self.propagate:
                x = x + self.hat_layer_scale1(self._upsample(ct_win, geo))
        return x, ct

    def _window_attn(self, x: torch.Tensor, geo: FasterViTGeometry,
                     num_ct: int) -> torch.Tensor:
        y = self.norm1(x)
        size = (geo.window, geo.window)
        if geo.key_mask is None:
            return self.attn(y, size, size, num_ct)
        # (B, nW, N, C) so the per-window key mask broadcasts over images.
        y = y.view(geo.batch, -1, *y.shape[1:])
        return self.attn(y, size, size, num_ct, geo.key_mask).flatten(0, 1)

    @staticmethod
    def _upsample(ct_win: torch.Tensor,
                  geo: FasterViTGeometry) -> torch.Tensor:
        """Nearest upsampling of each window's ct x ct CTs to ws x ws."""
        n, _, C = ct_win.shape
        grid = ct_win.transpose(1, 2).reshape(n, C, geo.ct_size, geo.ct_size)
        # float32 and plain 'nearest' (index floor(i * ct / ws)) as reference
        up = F.interpolate(
            grid.float(), size=(geo.window, geo.window), mode='nearest')
        return up.flatten(2).transpose(1, 2).to(ct_win.dtype)


def ct_pool_geometry(
        padded: Tuple[int, int],
        grid: Tuple[int, int]) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """Average-pool ``(kernel, stride)`` giving exactly ``grid`` outputs.

    Per axis ``stride = n // G`` and ``kernel = n - (G - 1) * stride``; this
    reproduces the reference pooling at its fixed 224 geometry.
    """
    strides = tuple(n // g for n, g in zip(padded, grid))
    kernels = tuple(n - (g - 1) * s for n, g, s in zip(padded, grid, strides))
    return kernels, strides


class FasterViTTokenInitializer(nn.Module):
    """Carrier tokens: depthwise 3x3 conv, then average pooling to the
    ``(ct * sr_h, ct * sr_w)`` grid (see :func:`ct_pool_geometry`)."""

    def __init__(self, dim: int):
        super().__init__()
        self.pos_embed = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x: torch.Tensor, grid: Tuple[int, int]) -> torch.Tensor:
        """``(B, C, Hp, Wp)`` -> raster carrier tokens ``(B, Gh*Gw, C)``."""
        padded = (int(x.shape[-2]), int(x.shape[-1]))  # see the HAT stage
        kernels, strides = ct_pool_geometry(padded, grid)
        x = F.avg_pool2d(self.pos_embed(x), kernels, strides)
        return x.flatten(2).transpose(1, 2)


class FasterViTConvStage(HVTStage):
    """``downsample`` (None: none) then ``depth`` residual conv blocks.

    With ``pad_to`` the blocks run on the map zero-padded (bottom/right) to
    multiples of ``pad_to`` and the result is cropped back, as the
    published FasterViT DINO detectors' backbone code does with the window
    size of conv stages; otherwise (default) the map is used as it is.
    """

    def __init__(self,
                 dim: int,
                 depth: int,
                 drop_paths: Sequence[float],
                 downsample: Optional[nn.Module],
                 pad_to: Optional[int] = None) -> None:
        super().__init__(
            downsample,
            [FasterViTConvBlock(dim, drop_paths[j]) for j in range(depth)])
        self.pad_to = pad_to

    def forward(self, x: torch.Tensor, run_block: RunBlock) -> torch.Tensor:
        if self.pad_to is None:
            return super().forward(x, run_block)
        x = self.downsample(x)
        H, W = int(x.shape[-2]), int(x.shape[-1])
        x = pad_to_multiple(x, self.pad_to)
        for block in self.blocks:
            x = run_block(block, x)
        return x[..., :H, :W].contiguous()


class FasterViTHATStage(Fusible, HVTStage):
    """Window-attention stage, hierarchical (carrier tokens) if ``hat``.

    Children: ``downsample`` (applied first), ``carrier_tokenizer``
    (:class:`FasterViTTokenInitializer`, only with ``hat``; the official
    ``global_tokenizer``) and ``blocks``. Any input size: the downsampled
    map is zero-padded to window multiples, processed and cropped back.
    Carrier tokens are used only when ``hat`` is set and the padded map has
    more than one window.

    Args:
        dim: Channels of the blocks.
        depth: Number of :class:`FasterViTHATBlock`.
        num_heads: Attention heads.
        window_size: Side of the square attention windows.
        drop_paths: Stochastic depth rate of each block.
        downsample: Module applied before the blocks, or None.
        layer_scale_init: Initial layer scale, or None for none (default).
        hat: Hierarchical attention (carrier tokens). Defaults to False.
        do_propagation: The last block adds the carrier tokens back to the
            window tokens. Defaults to False.
        ct_size: Carrier tokens per window side. Defaults to 2.
        mlp_ratio: MLP hidden width over ``dim``. Defaults to 4.
        ct_norm_grid: Normalisation size of the carrier-token attention
            bias, or None for the actual grid (default).
        mask_padding: Mask padded window keys. Defaults to False.
        token_count_coords: See :class:`MLPPositionEmbedding`.
    """

    def __init__(self,
                 dim: int,
                 depth: int,
                 num_heads: int,
                 window_size: int,
                 *,
                 drop_paths: Sequence[float],
                 downsample: Optional[nn.Module] = None,
                 layer_scale_init: Optional[float] = None,
                 hat: bool = False,
                 do_propagation: bool = False,
                 ct_size: int = 2,
                 mlp_ratio: float = 4.,
                 ct_norm_grid: Optional[int] = None,
                 mask_padding: bool = False,
                 token_count_coords: bool = False):
        super().__init__(downsample, ())
        self.window_size = window_size
        self.hat = hat
        self.ct_size = ct_size
        self.ct_norm_grid = ct_norm_grid
        self.mask_padding = mask_padding
        self.carrier_tokenizer = FasterViTTokenInitializer(dim) \
            if hat else None
        del self.blocks  # re-added after the tokenizer: execution order
        self.blocks = nn.ModuleList([
            FasterViTHATBlock(
                dim,
                num_heads,
                mlp_ratio,
                drop_paths[j],
                layer_scale_init,
                hierarchical=hat,
                propagate=do_propagation and j == depth - 1,
                token_count_coords=token_count_coords) for j in range(depth)
        ])

    def geometry(self, batch: int, size: Size2d, padded: Size2d,
                 device: torch.device) -> FasterViTGeometry:
        """Window/CT geometry of a ``size`` map padded to ``padded``.

        ``ct_grid`` is meaningful only if :meth:`is_hierarchical`; the key
        mask (``mask_padding`` only) is -inf on padded window tokens.
        """
        ws, ct = self.window_size, self.ct_size
        windows = (padded[0] // ws, padded[1] // ws)
        ct_grid = (ct * windows[0], ct * windows[1])
        ct_norm = ct_grid
        if self.ct_norm_grid is not None:
            ct_norm = (self.ct_norm_grid, self.ct_norm_grid)
        key_mask = None
        if self.mask_padding and tuple(size) != tuple(padded):
            valid = window_valid_mask(size, ws, device)  # (nW, ws^2)
            if self.is_hierarchical(windows):
                valid = F.pad(valid, (ct * ct, 0), value=True)
            key_mask = torch.zeros(
                valid.shape, device=device).masked_fill(~valid,
                                                        float('-inf'))[:, None,
                                                                       None, :]
        return FasterViTGeometry(batch, ws, windows, ct, ct_grid, ct_norm,
                                 key_mask)

    def _fuse(self) -> None:
        """Inference form: every block's window position embedding and
        window attention bias, which depend only on the window size, are
        computed once and stored (carrier-token encodings depend on the
        input size and stay MLPs with their eval cache)."""
        size = (self.window_size, self.window_size)
        for block in self.blocks:
            block.pos_embed = block.pos_embed.fixed(size)
            block.attn.pos_emb_funct = block.attn.pos_emb_funct.fixed(
                size, size)

    def is_hierarchical(self, windows: Tuple[int, int]) -> bool:
        """Carrier tokens only with ``hat`` and more than one window."""
        return self.hat and windows[0] * windows[1] > 1

    def forward(self, x: torch.Tensor, run_block: RunBlock) -> torch.Tensor:
        """Downsample, then the blocks; returns the stage feature
        ``(B, C, H, W)``."""
        x = self.downsample(x)
        # Python ints: the geometry is a per-size constant, and the
        # TorchScript exporter (mmdeploy) cannot pool or reshape with sizes
        # computed from traced shapes.
        H, W = int(x.shape[-2]), int(x.shape[-1])
        x = pad_to_multiple(x, self.window_size)
        padded = (int(x.shape[-2]), int(x.shape[-1]))
        geo = self.geometry(int(x.shape[0]), (H, W), padded, x.device)
        ct = None
        if self.is_hierarchical(geo.windows):
            ct = self.carrier_tokenizer(x, geo.ct_grid)
        x = window_partition(x, self.window_size)
        for block in self.blocks:
            x, ct = run_block(block, x, ct, geo)
        x = window_reverse(x, self.window_size, padded)
        return x[..., :H, :W].contiguous()


@register_model
class FasterViT(HVTBackbone):
    """FasterViT backbone for dense prediction.

    Paper: "FasterViT: Fast Vision Transformers with Hierarchical Attention"
    (Hatamizadeh et al., ICLR 2024). Stages 0-1 are residual conv stages,
    stages 2-3 window-attention (HAT) stages; stage 2 of the ImageNet-1K
    models is hierarchical (carrier tokens).

    Module layout (shared by every hvt_mm family): ``stem``
    (:class:`FasterViTStem`), ``stages[i]`` (an
    :class:`~hvt_mm.models.layers.HVTStage` of :class:`FasterViTConvBlock`
    for i < 2, a :class:`FasterViTHATStage` after) with ``downsample``
    leading into the stage (``nn.Identity`` for stage 0), the HAT stages'
    ``carrier_tokenizer`` and ``blocks``, and the output norms ``norm{i}``.
    Official checkpoints (``patch_embed``, ``levels[i]`` with the downsample
    at the end of level i, ``global_tokenizer``, ``gamma1..4``) and
    checkpoints of hvt_mm's earlier layout, which used those names, are
    mapped by :func:`hvt_mm.checkpoint.fastervit.convert` whichever way they
    are loaded.

    Args:
        arch: ``'0'``..``'6'``, ``'4_21k_224'``, ``'4_21k_384'``,
            ``'4_21k_512'``, ``'4_21k_768'`` or a dict with the keys of
            :attr:`arch_zoo`. Defaults to ``'0'``.
        in_channels: Input channels. Defaults to 3.
        out_indices: Stages to return (strides 4, 8, 16, 32), each the
            output of the stage's last block. Defaults to ``(0, 1, 2, 3)``.
        out_norm_cfg: Norm of each returned map (``norm{i}``); None returns
            raw stage features, as the original model computes them (the
            default). Trained from scratch, the heads learn at least as
            fast on raw features as behind ``BN`` (seeded from the
            classifier's final norm); channel LayerNorms (``LN2d``) stop
            learning: docs/learning.md.
        frozen_stages: -1 none, 0 the stem, k also stages ``0..k-1`` (each
            with the downsample leading into it) and their ``norm{i}``.
        norm_eval: Keep BatchNorm layers (stem, conv stages, BN output norms)
            in eval mode while training.
        with_cp: Gradient checkpointing per block.
        drop_path_rate: Stochastic depth rate; None uses the variant's
            ImageNet rate from :attr:`arch_zoo`.
        ct_bias_norm: Offset normalisation of the carrier-token attention
            bias: ``'pretrain'`` (the CT grid at ``pretrain_img_size``,
            SwinV2 transfer convention) or ``'current'`` (the actual grid).
            Both equal the reference at the pretraining size.
        pretrain_img_size: Square image size the weights were trained at.
        mask_padding: Mask padded window keys with -inf (the reference has
            no padding; default False keeps plain zero padding, as Swin).
        dino_compat: Reproduce the backbone code of the published FasterViT
            DINO detectors (NVlabs/FasterViT ``downstream/object_detection/
            dino``) where it departs from the classification models, so
            their checkpoint gives their outputs: conv stages run on maps
            zero-padded to their window size (and cropped back), and window
            position embeddings normalise coordinates by the window's token
            count instead of per axis. Only for those checkpoints (arches
            without carrier tokens); defaults to False.
        deploy: Build the inference form (:meth:`switch_to_deploy`): stem
            and conv-block BatchNorms folded into their convs, window
            position embeddings and biases stored as buffers.
        init_cfg: mmengine init config; ``dict(type='Pretrained',
            checkpoint=PATH)`` loads official files directly.

    Deliberate differences from the official code: stage outputs are taken
    after each stage's blocks, before the next downsample (strides 4-32;
    the classifier's ``norm``/``head`` are dropped); any input size works
    (pad to windows, carrier tokens and position encodings computed per
    forward on the actual grids with the correct window-to-token assignment
    for rectangular grids); derived position buffers are not part of the
    state dict and the duplicated tokenizer conv alias is stored once;
    module names follow the shared layout above, not the official ones.
    """

    # yapf: disable
    # Reference builders faster_vit_{0..6}_224 and faster_vit_4_21k_*
    # (NVlabs/FasterViT, spec table 1); the reference's scalar width ``dim``
    # is embed_dims[0], doubled per stage.
    arch_zoo = {
        '0':         dict(stem_dims=64, embed_dims=[64, 128, 256, 512],    depths=[2, 3, 6, 5],  num_heads=[2, 4, 8, 16],  window_sizes=[7, 7, 7, 7],   hat=[False, False, True, False],  layer_scale_init=None, do_propagation=False, drop_path_rate=0.2),
        '1':         dict(stem_dims=32, embed_dims=[80, 160, 320, 640],    depths=[1, 3, 8, 5],  num_heads=[2, 4, 8, 16],  window_sizes=[7, 7, 7, 7],   hat=[False, False, True, False],  layer_scale_init=None, do_propagation=False, drop_path_rate=0.2),
        '2':         dict(stem_dims=64, embed_dims=[96, 192, 384, 768],    depths=[3, 3, 8, 5],  num_heads=[2, 4, 8, 16],  window_sizes=[7, 7, 7, 7],   hat=[False, False, True, False],  layer_scale_init=None, do_propagation=False, drop_path_rate=0.2),
        '3':         dict(stem_dims=64, embed_dims=[128, 256, 512, 1024],  depths=[3, 3, 12, 5], num_heads=[2, 4, 8, 16],  window_sizes=[7, 7, 7, 7],   hat=[False, False, True, False],  layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.3),
        '4':         dict(stem_dims=64, embed_dims=[196, 392, 784, 1568],  depths=[3, 3, 12, 5], num_heads=[4, 8, 16, 32], window_sizes=[7, 7, 7, 7],   hat=[False, False, True, False],  layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.3),
        '5':         dict(stem_dims=64, embed_dims=[320, 640, 1280, 2560], depths=[3, 3, 12, 5], num_heads=[4, 8, 16, 32], window_sizes=[7, 7, 7, 7],   hat=[False, False, True, False],  layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.3),
        '6':         dict(stem_dims=64, embed_dims=[320, 640, 1280, 2560], depths=[3, 3, 16, 8], num_heads=[4, 8, 16, 32], window_sizes=[7, 7, 7, 7],   hat=[False, False, True, False],  layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.5),
        '4_21k_224': dict(stem_dims=64, embed_dims=[196, 392, 784, 1568],  depths=[3, 3, 12, 5], num_heads=[4, 8, 16, 32], window_sizes=[7, 7, 14, 7],  hat=[False, False, False, False], layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.42),
        '4_21k_384': dict(stem_dims=64, embed_dims=[196, 392, 784, 1568],  depths=[3, 3, 12, 5], num_heads=[4, 8, 16, 32], window_sizes=[7, 7, 24, 12], hat=[False, False, False, False], layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.42),
        '4_21k_512': dict(stem_dims=64, embed_dims=[196, 392, 784, 1568],  depths=[3, 3, 12, 5], num_heads=[4, 8, 16, 32], window_sizes=[7, 7, 32, 16], hat=[False, False, False, False], layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.42),
        '4_21k_768': dict(stem_dims=64, embed_dims=[196, 392, 784, 1568],  depths=[3, 3, 12, 5], num_heads=[4, 8, 16, 32], window_sizes=[7, 7, 48, 24], hat=[False, False, False, False], layer_scale_init=1e-5, do_propagation=True,  drop_path_rate=0.42),
    }
    # yapf: enable
    checkpoint_converter = staticmethod(fastervit_checkpoint.convert)
    min_input_size = 32  # total stride; smaller inputs give 1x1 maps early
    static_export_reason = (
        'the window grid, whether a stage uses carrier tokens and the '
        'carrier-token pooling kernel are computed in Python from the input '
        'size (a pooling kernel cannot be a dynamic ONNX value).')
    num_conv_stages = 2
    ct_size = 2
    mlp_ratio = 4.

    def __init__(self,
                 arch: Union[str, dict] = '0',
                 in_channels: int = 3,
                 out_indices: OutIndices = (0, 1, 2, 3),
                 out_norm_cfg: Optional[dict] = None,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 drop_path_rate: Optional[float] = None,
                 ct_bias_norm: str = 'pretrain',
                 pretrain_img_size: int = 224,
                 mask_padding: bool = False,
                 dino_compat: bool = False,
                 deploy: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(in_channels, frozen_stages, norm_eval, with_cp,
                         init_cfg, deploy)
        self.arch_settings = arch = self.parse_arch(arch)
        depths = arch['depths']
        if dino_compat and any(arch['hat']):
            raise ValueError(
                'FasterViT dino_compat reproduces the published DINO '
                'detector (FasterViT-4-21K, no carrier tokens); the DINO '
                "code's carrier-token stages are not reproduced: use "
                "arch='4_21k' or dino_compat=False.")
        self.dino_compat = dino_compat
        num_stages = len(depths)
        for key in ('embed_dims', 'num_heads', 'window_sizes', 'hat'):
            if len(arch[key]) != num_stages:
                raise ValueError(
                    f'FasterViT arch: {key} has {len(arch[key])} entries '
                    f'but depths has {num_stages}; give one per stage.')
        if num_stages <= self.num_conv_stages:
            raise ValueError('FasterViT arch needs at least '
                             f'{self.num_conv_stages + 1} stages.')
        if ct_bias_norm not in ('pretrain', 'current'):
            raise ValueError("ct_bias_norm must be 'pretrain' or 'current', "
                             f'got {ct_bias_norm!r}')
        if drop_path_rate is None:
            drop_path_rate = arch['drop_path_rate']
        self.depths = tuple(depths)
        dims = list(arch['embed_dims'])
        for i, (d, h) in enumerate(zip(dims, arch['num_heads'])):
            if d % h:
                raise ValueError(f'FasterViT stage {i}: {d} channels are not '
                                 f'divisible by {h} heads.')
        dprs = self.drop_path_rates(drop_path_rate, depths)

        self.stem = FasterViTStem(in_channels, arch['stem_dims'], dims[0])
        self.stages = nn.ModuleList()
        for i in range(num_stages):
            # the downsample leading into stage i (none before stage 0)
            downsample = FasterViTDownsample(dims[i - 1], dims[i]) \
                if i > 0 else None
            if i < self.num_conv_stages:
                stage = FasterViTConvStage(
                    dims[i],
                    depths[i],
                    dprs[i],
                    downsample,
                    pad_to=arch['window_sizes'][i] if dino_compat else None)
            else:
                ws = arch['window_sizes'][i]
                # CT grid of the pretraining resolution (4 for 1K models).
                stride = 2**(i + 2)
                pretrain_grid = self.ct_size * max(
                    pretrain_img_size // stride // ws, 1)
                stage = FasterViTHATStage(
                    dims[i],
                    depths[i],
                    arch['num_heads'][i],
                    ws,
                    drop_paths=dprs[i],
                    downsample=downsample,
                    layer_scale_init=arch['layer_scale_init'],
                    hat=arch['hat'][i],
                    do_propagation=arch['do_propagation'],
                    ct_size=self.ct_size,
                    mlp_ratio=self.mlp_ratio,
                    ct_norm_grid=pretrain_grid
                    if ct_bias_norm == 'pretrain' else None,
                    mask_padding=mask_padding,
                    token_count_coords=dino_compat)
            self.stages.append(stage)
        self._init_outputs(dims, out_indices, out_norm_cfg)

    # -------------------------------------------------------------- forward
    # ---------------------------------------------------------------- init
    def _init_custom_weights(self) -> None:
        """Reference init: Linear trunc-normal(0.02), zero bias; norms 1/0."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.LayerNorm, nn.modules.batchnorm._NormBase)):
                if m.weight is not None:
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
