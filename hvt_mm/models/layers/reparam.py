"""Structural reparameterization: multi-branch bricks that fold into one conv.

Every piece of fusion maths in hvt_mm lives here. The helpers turn a
(conv, BN) pair, a BN-only identity branch or a smaller kernel into an
equivalent ``(kernel, bias)``; the bricks sum those and install a single
convolution. The bricks follow MobileOne (arXiv 2206.04040), RepLKNet
(arXiv 2203.06717) and FastViT (arXiv 2303.14189); parameter names follow
apple/ml-fastvit so its checkpoints load unchanged. :class:`BNFoldable`
folds BatchNorms into the conv or linear layer before them in place (the
inference form of FasterViT, EfficientViT and LightViT convolutions).

Fusion bakes in the BatchNorm running statistics, so the fused form equals
the training form in eval mode. :meth:`Fusible.switch_to_deploy` works in
either mode, as mmpretrain's RepVGG and MobileOne do (mmdeploy calls it
before ``model.eval()``), and leaves the fused module in eval mode.
"""
import contextlib
from typing import Iterator, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils.fusion import fuse_conv_bn_weights

KernelBias = Tuple[torch.Tensor, torch.Tensor]


# --------------------------------------------------------------------------
# Fusion maths
# --------------------------------------------------------------------------
def fuse_bn(kernel: torch.Tensor,
            bn: nn.Module,
            bias: Optional[torch.Tensor] = None) -> KernelBias:
    """Fold eval-mode BN into the preceding conv or linear layer.

    ``W' = W * gamma / sqrt(var + eps)`` per output channel (the first
    dimension of ``kernel``) and ``b' = beta + (b - mean) * gamma /
    sqrt(var + eps)`` (``b = 0`` without ``bias``), computed by
    ``torch.nn.utils.fusion.fuse_conv_bn_weights``, the maths torch's own
    ``fuse_conv_bn_eval`` uses (its reshape covers linear weights too).
    """
    weight, fused_bias = fuse_conv_bn_weights(kernel, bias, bn.running_mean,
                                              bn.running_var, bn.eps,
                                              bn.weight, bn.bias)
    return weight.detach(), fused_bias.detach()


def identity_kernel(channels: int, groups: int, kernel_size: int,
                    like: torch.Tensor) -> torch.Tensor:
    """Kernel of a (grouped) ``k x k`` conv that returns its input.

    Shape ``(channels, channels // groups, k, k)``; output channel ``i``
    reads input channel ``i`` (position ``i % (channels // groups)`` within
    its group) at the kernel centre.
    """
    in_per_group = channels // groups
    kernel = torch.zeros(
        channels,
        in_per_group,
        kernel_size,
        kernel_size,
        dtype=like.dtype,
        device=like.device)
    index = torch.arange(channels, device=like.device)
    kernel[index, index % in_per_group, kernel_size // 2, kernel_size // 2] = 1
    return kernel


def pad_kernel(kernel: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Zero-pad a square kernel to ``kernel_size``, keeping it centred."""
    pad = (kernel_size - kernel.shape[-1]) // 2
    return F.pad(kernel, [pad] * 4) if pad > 0 else kernel


def sum_branches(branches: List[KernelBias], kernel_size: int) -> KernelBias:
    """Sum fused branches after padding every kernel to ``kernel_size``."""
    kernel = sum(pad_kernel(k, kernel_size) for k, _ in branches)
    bias = sum(b for _, b in branches)
    return kernel, bias


def _norm(norm_cfg: dict, channels: int) -> nn.Module:
    norm = build_norm_layer(norm_cfg, channels)[1]
    if not isinstance(norm, _BatchNorm):
        raise ValueError(
            f'Reparameterizable branches need a BatchNorm-type norm_cfg '
            f'(BN, SyncBN), got {norm_cfg!r}: only BN folds into a conv.')
    return norm


def _depthwise_conv(dim: int, kernel_size: int, **factory) -> nn.Conv2d:
    """Same-size depthwise conv with bias (RepMixer/RepCPE fused form)."""
    return nn.Conv2d(
        dim,
        dim,
        kernel_size,
        1,
        kernel_size // 2,
        groups=dim,
        bias=True,
        **factory)


# --------------------------------------------------------------------------
# Bricks
# --------------------------------------------------------------------------
class ConvBN(nn.Module):
    """Bias-free conv followed by BN (``conv``, ``bn``), fusible to a conv."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 padding: int = 0,
                 groups: int = 1,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups=groups,
            bias=False)
        self.bn = _norm(norm_cfg, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))

    def fused_kernel_bias(self) -> KernelBias:
        return fuse_bn(self.conv.weight, self.bn)


class Fusible(nn.Module):
    """Base of modules with an inference form (``deploy``).

    :meth:`switch_to_deploy` follows one protocol: return if already fused,
    switch to eval mode (fusion uses the running statistics), let
    :meth:`_fuse` install the fused layers under ``no_grad`` (on the
    module's device and dtype), set ``deploy`` last.
    """

    deploy = False

    def _fuse(self) -> None:
        raise NotImplementedError

    def switch_to_deploy(self) -> None:
        """Switch to the inference form in place (idempotent); the module
        is left in eval mode."""
        if self.deploy:
            return
        self.eval()
        with torch.no_grad():
            self._fuse()
        self.deploy = True


class Reparameterizable(Fusible):
    """Base of modules with a training form and a single-conv deploy form.

    Subclasses name their fused conv in ``fused_name`` and their training
    branches in ``branch_names``, and implement :meth:`_build_fused_conv`
    and :meth:`fused_kernel_bias`.
    """

    fused_name = 'reparam_conv'
    branch_names: Tuple[str, ...] = ()

    def _build_fused_conv(self, **factory) -> nn.Conv2d:
        raise NotImplementedError

    def fused_kernel_bias(self) -> KernelBias:
        """Kernel and bias of the equivalent conv (training form only)."""
        raise NotImplementedError

    def _fuse(self) -> None:
        """Fold the training branches into one conv."""
        kernel, bias = self.fused_kernel_bias()
        conv = self._build_fused_conv(dtype=kernel.dtype, device=kernel.device)
        conv.weight.copy_(kernel)
        conv.bias.copy_(bias)
        for name in self.branch_names:
            if hasattr(self, name):
                delattr(self, name)
        setattr(self, self.fused_name, conv)


class MobileOneBlock(Reparameterizable):
    """MobileOne block (arXiv 2206.04040) with ml-fastvit names.

    Training form: ``act(se(rbr_skip(x) + rbr_scale(x) + sum rbr_conv[i](x)))``
    where ``rbr_skip`` is BN (only if in == out channels and stride 1),
    ``rbr_scale`` a 1x1 conv+BN (only if ``kernel_size > 1`` and
    ``use_scale_branch``) and ``rbr_conv`` ``num_conv_branches`` k x k
    conv+BN pairs. Deploy form: ``act(se(reparam_conv(x)))``.

    Args:
        act_cfg: activation config, ``None`` for none. Defaults to GELU.
        deploy: build the fused form directly.
    """

    branch_names = ('rbr_skip', 'rbr_scale', 'rbr_conv')

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 groups: int = 1,
                 num_conv_branches: int = 1,
                 use_scale_branch: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='GELU'),
                 deploy: bool = False) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = kernel_size // 2 if padding is None else padding
        self.groups = groups
        self.deploy = deploy
        if deploy:
            self.reparam_conv = self._build_fused_conv()
        else:
            if in_channels == out_channels and stride == 1:
                self.rbr_skip = _norm(norm_cfg, in_channels)
            if kernel_size > 1 and use_scale_branch:
                self.rbr_scale = ConvBN(in_channels, out_channels, 1, stride,
                                        0, groups, norm_cfg)
            self.rbr_conv = nn.ModuleList(
                ConvBN(in_channels, out_channels, kernel_size, stride,
                       self.padding, groups, norm_cfg)
                for _ in range(num_conv_branches))
        # Squeeze-excitation only exists in FastViT's classifier.
        self.se = nn.Identity()
        self.activation = (
            build_activation_layer(act_cfg)
            if act_cfg is not None else nn.Identity())

    def _build_fused_conv(self, **factory) -> nn.Conv2d:
        return nn.Conv2d(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            self.stride,
            self.padding,
            groups=self.groups,
            bias=True,
            **factory)

    def _branches_sum(self, x: torch.Tensor) -> torch.Tensor:
        out = 0
        if hasattr(self, 'rbr_skip'):
            out = self.rbr_skip(x)
        if hasattr(self, 'rbr_scale'):
            out = out + self.rbr_scale(x)
        for branch in self.rbr_conv:
            out = out + branch(x)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.reparam_conv(x) if self.deploy else self._branches_sum(x)
        return self.activation(self.se(out))

    def fused_kernel_bias(self) -> KernelBias:
        branches = [conv.fused_kernel_bias() for conv in self.rbr_conv]
        if hasattr(self, 'rbr_scale'):
            branches.append(self.rbr_scale.fused_kernel_bias())
        if hasattr(self, 'rbr_skip'):
            like = self.rbr_skip.running_mean
            ident = identity_kernel(self.in_channels, self.groups,
                                    self.kernel_size, like)
            branches.append(fuse_bn(ident, self.rbr_skip))
        return sum_branches(branches, self.kernel_size)


class ReparamLargeKernelConv(Reparameterizable):
    """Large-kernel conv+BN plus a parallel small-kernel conv+BN (RepLKNet).

    ``y = lkb_origin(x) + small_conv(x)``, deploy form ``lkb_reparam(x)``.
    Both branches share stride and groups; with paddings ``k // 2`` their
    outputs stay aligned for any input size, so the fusion is exact at every
    resolution. No activation follows (FastViT's reference computes one and
    discards it; its weights assume none).
    """

    fused_name = 'lkb_reparam'
    branch_names = ('lkb_origin', 'small_conv')

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 groups: int = 1,
                 small_kernel: Optional[int] = 3,
                 norm_cfg: dict = dict(type='BN'),
                 deploy: bool = False) -> None:
        super().__init__()
        if small_kernel is not None and small_kernel > kernel_size:
            raise ValueError(
                f'small_kernel ({small_kernel}) must not exceed kernel_size '
                f'({kernel_size}); the small kernel is padded into the large '
                'one when fusing.')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.groups = groups
        self.deploy = deploy
        if deploy:
            self.lkb_reparam = self._build_fused_conv()
            return
        self.lkb_origin = ConvBN(in_channels, out_channels, kernel_size,
                                 stride, kernel_size // 2, groups, norm_cfg)
        if small_kernel is not None:
            self.small_conv = ConvBN(in_channels, out_channels, small_kernel,
                                     stride, small_kernel // 2, groups,
                                     norm_cfg)

    def _build_fused_conv(self, **factory) -> nn.Conv2d:
        return nn.Conv2d(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            self.stride,
            self.kernel_size // 2,
            groups=self.groups,
            bias=True,
            **factory)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            return self.lkb_reparam(x)
        out = self.lkb_origin(x)
        if hasattr(self, 'small_conv'):
            out = out + self.small_conv(x)
        return out

    def fused_kernel_bias(self) -> KernelBias:
        branches = [self.lkb_origin.fused_kernel_bias()]
        if hasattr(self, 'small_conv'):
            branches.append(self.small_conv.fused_kernel_bias())
        return sum_branches(branches, self.kernel_size)


class RepMixer(Reparameterizable):
    """FastViT token mixer: ``x + gamma * (mixer(x) - norm(x))``.

    ``norm`` is a BN-only MobileOne block (``rbr_skip``), ``mixer`` a
    depthwise MobileOne block without activation; ``gamma`` is
    ``layer_scale`` of shape ``(C, 1, 1)`` (absent if
    ``layer_scale_init_value`` is None). Deploy form: one depthwise
    ``reparam_conv`` with kernel ``I + gamma * (K_mixer - K_norm)``.
    """

    branch_names = ('norm', 'mixer', 'layer_scale')

    def __init__(self,
                 dim: int,
                 kernel_size: int = 3,
                 layer_scale_init_value: Optional[float] = 1e-5,
                 norm_cfg: dict = dict(type='BN'),
                 deploy: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.kernel_size = kernel_size
        self.use_layer_scale = layer_scale_init_value is not None
        self.deploy = deploy
        if deploy:
            self.reparam_conv = self._build_fused_conv()
            return
        self.norm = MobileOneBlock(
            dim,
            dim,
            kernel_size,
            groups=dim,
            num_conv_branches=0,
            use_scale_branch=False,
            norm_cfg=norm_cfg,
            act_cfg=None)
        self.mixer = MobileOneBlock(
            dim, dim, kernel_size, groups=dim, norm_cfg=norm_cfg, act_cfg=None)
        if self.use_layer_scale:
            self.layer_scale = nn.Parameter(
                torch.full((dim, 1, 1), float(layer_scale_init_value)))

    def _build_fused_conv(self, **factory) -> nn.Conv2d:
        return _depthwise_conv(self.dim, self.kernel_size, **factory)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            return self.reparam_conv(x)
        delta = self.mixer(x) - self.norm(x)
        if self.use_layer_scale:
            delta = self.layer_scale * delta
        return x + delta

    def fused_kernel_bias(self) -> KernelBias:
        k_mix, b_mix = self.mixer.fused_kernel_bias()
        k_norm, b_norm = self.norm.fused_kernel_bias()
        kernel, bias = k_mix - k_norm, b_mix - b_norm
        if self.use_layer_scale:
            gamma = self.layer_scale.reshape(-1)
            kernel, bias = kernel * gamma.reshape(-1, 1, 1, 1), bias * gamma
        ident = identity_kernel(self.dim, self.dim, self.kernel_size, kernel)
        return ident + kernel, bias


class RepCPE(Reparameterizable):
    """Conditional positional encoding ``x + pe(x)`` (arXiv 2102.10882).

    ``pe`` is a depthwise ``k x k`` conv with bias; deploy form
    ``reparam_conv`` with kernel ``I + pe.weight``.
    """

    branch_names = ('pe', )

    def __init__(self,
                 dim: int,
                 kernel_size: int = 7,
                 deploy: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.kernel_size = kernel_size
        self.deploy = deploy
        if deploy:
            self.reparam_conv = self._build_fused_conv()
        else:
            self.pe = self._build_fused_conv()

    def _build_fused_conv(self, **factory) -> nn.Conv2d:
        return _depthwise_conv(self.dim, self.kernel_size, **factory)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            return self.reparam_conv(x)
        return x + self.pe(x)

    def fused_kernel_bias(self) -> KernelBias:
        weight = self.pe.weight
        ident = identity_kernel(self.dim, self.dim, self.kernel_size, weight)
        return ident + weight, self.pe.bias.clone()


# --------------------------------------------------------------------------
# BatchNorm folded into the layer before it (in place, names kept)
# --------------------------------------------------------------------------
#: Layers a following BN folds into: weight rows are output channels.
FOLDABLE_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def fold_bn_(layer: nn.Module, bn: nn.Module) -> None:
    """Fold eval-mode ``bn`` into the conv/linear ``layer`` before it: the
    layer gets a new weight and bias (same device and dtype as the weight);
    the tensors it held are not written, so a state dict that shares them
    keeps its values."""
    if not isinstance(layer, FOLDABLE_LAYERS):
        raise TypeError(f'Cannot fold BatchNorm into a {type(layer).__name__}'
                        '; only convolutions and linear layers take it.')
    with torch.no_grad():
        kernel, bias = fuse_bn(layer.weight, bn, layer.bias)
        layer.weight = nn.Parameter(kernel.to(layer.weight))
        layer.bias = nn.Parameter(bias.to(layer.weight))


@contextlib.contextmanager
def parameters_on_meta() -> Iterator[None]:
    """Modules built inside put their parameters on the meta device (each
    is allocated for a moment, then dropped) and keep real buffers, so a
    model whose parameters come from a checkpoint (``load_state_dict(...,
    assign=True)``) costs no second copy of its weights."""
    register = nn.Module.register_parameter

    def on_meta(module, name, param):
        if param is not None:
            param = nn.Parameter(
                param.to('meta'), requires_grad=param.requires_grad)
        register(module, name, param)

    nn.Module.register_parameter = on_meta
    try:
        yield
    finally:
        nn.Module.register_parameter = register


def sequential_conv_bn_pairs(seq: nn.Sequential,
                             prefix: str) -> List[Tuple[str, str]]:
    """Paths ``(prefix.i, prefix.i+1)`` of every conv/linear child of
    ``seq`` directly followed by a BatchNorm child (execution order)."""
    names = list(seq._modules)
    return [(f'{prefix}.{a}', f'{prefix}.{b}')
            for a, b in zip(names, names[1:])
            if isinstance(seq._modules[a], FOLDABLE_LAYERS)
            and isinstance(seq._modules[b], _BatchNorm)]


class BNFoldable(Fusible):
    """Base of modules whose BatchNorms fold into the conv or linear layer
    right before them (inference form).

    A subclass names those pairs in :meth:`conv_norm_pairs` (dotted child
    paths). :meth:`switch_to_deploy` folds every pair whose norm is a
    BatchNorm (other norms do not fold and stay) and puts a stateless
    ``nn.Identity`` in the norm's place, so the layers keep their names and
    ``nn.Sequential`` indices: the fused state dict loses the BN entries and
    gains the layers' biases.
    """

    def conv_norm_pairs(self) -> List[Tuple[str, str]]:
        """``(layer path, norm path)`` of each layer followed by a norm."""
        raise NotImplementedError

    def _fuse(self) -> None:
        for layer_name, norm_name in self.conv_norm_pairs():
            norm = self.get_submodule(norm_name)
            if isinstance(norm, _BatchNorm):
                fold_bn_(self.get_submodule(layer_name), norm)
                self.set_submodule(norm_name, nn.Identity())


def fusible_modules(model: nn.Module) -> List[nn.Module]:
    """Outermost submodules of ``model`` that have ``switch_to_deploy()``.

    A fusible module fuses its own fusible children, so visiting only the
    outermost ones handles every leaf exactly once.
    """
    found = []
    for child in model.children():
        if callable(getattr(child, 'switch_to_deploy', None)):
            found.append(child)
        else:
            found.extend(fusible_modules(child))
    return found
