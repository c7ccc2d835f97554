"""mmcv ``ConvModule`` with 'same' padding and BatchNorm folding.

The norm child keeps mmcv's name (``bn`` for BatchNorm and SyncBN, ``gn``,
``ln``...). Original checkpoints that call it ``norm`` (EfficientViT's
``ConvLayer``) are renamed by their family's converter.
"""
from typing import List, Optional, Tuple, Union

import torch.nn as nn
from mmcv.cnn import ConvModule

from .reparam import BNFoldable


class ConvNormAct(BNFoldable, ConvModule):
    """Conv -> optional norm -> optional activation; 'same' padding.

    Children: ``conv`` (always), the norm (only with ``norm_cfg``; mmcv's
    name, ``bn`` for BN-type norms, reachable as :attr:`norm`) and
    ``activate`` (stateless). Padding is ``kernel_size // 2 * dilation`` so
    odd kernels keep the size at stride 1 and give ``ceil(H / stride)``.
    :meth:`switch_to_deploy` folds a BatchNorm into ``conv`` (which gains
    a bias) and removes it.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Square kernel size.
        stride: Convolution stride.
        groups: Convolution groups.
        bias: Conv bias; ``'auto'`` means "only without a norm".
        norm_cfg: mmcv norm config or None.
        act_cfg: mmcv activation config or None.
        dilation: Convolution dilation.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 1,
                 stride: int = 1,
                 groups: int = 1,
                 bias: Union[bool, str] = 'auto',
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 dilation: int = 1) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2 * dilation,
            dilation=dilation,
            groups=groups,
            bias=bias,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            # Activations here always follow a norm or a conv output that
            # nothing else reads, but keep autograd simple and predictable.
            inplace=False)

    def conv_norm_pairs(self) -> List[Tuple[str, str]]:
        return [('conv', self.norm_name)] if self.with_norm else []

    def _fuse(self) -> None:
        super()._fuse()
        if isinstance(self.norm, nn.Identity):  # folded: drop the no-op
            del self._modules[self.norm_name]
            self.norm_name, self.with_norm = None, False
