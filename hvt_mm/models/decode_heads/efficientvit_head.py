"""EfficientViT segmentation head (official ``SegHead``) as an mmseg head.

Three 1x1 conv + BN projections of stage4, stage3 and stage2 (strides 32,
16, 8) are resized to the stride-8 map and **added**; ``head_depth``
residual MBConv or FusedMBConv blocks follow, then an optional 1x1
"final expand" conv and the classifier (``conv_seg``). Logits are at
stride 8.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from ...registry import register_seg_model
from ...utils.suggest import did_you_mean
from ..backbones.efficientvit import SERIES, EfficientViT
from ..layers.autocast import autocast_off
from ..layers.conv_module import ConvNormAct
from ..layers.mbconv import FusedMBConv, MBConv
from ..layers.residual import ResidualBlock
from ..layers.sequential import OpSequential

# Spec table "Segmentation heads" (official seg.py): one entry per released
# model/dataset pair. final_expand None = no expand conv before conv_seg.
# yapf: disable
PRESETS: Dict[str, dict] = {
    'b0_cityscapes': dict(head_width=32,  head_depth=1, expand_ratio=4, middle_op='mbconv',  final_expand=4,    num_classes=19),
    'b1_cityscapes': dict(head_width=64,  head_depth=3, expand_ratio=4, middle_op='mbconv',  final_expand=4,    num_classes=19),
    'b2_cityscapes': dict(head_width=96,  head_depth=3, expand_ratio=4, middle_op='mbconv',  final_expand=4,    num_classes=19),
    'b3_cityscapes': dict(head_width=128, head_depth=3, expand_ratio=4, middle_op='mbconv',  final_expand=4,    num_classes=19),
    'l1_cityscapes': dict(head_width=256, head_depth=3, expand_ratio=1, middle_op='fmbconv', final_expand=None, num_classes=19),
    'l2_cityscapes': dict(head_width=256, head_depth=5, expand_ratio=1, middle_op='fmbconv', final_expand=None, num_classes=19),
    'b1_ade20k':     dict(head_width=64,  head_depth=3, expand_ratio=4, middle_op='mbconv',  final_expand=None, num_classes=150),
    'b2_ade20k':     dict(head_width=96,  head_depth=3, expand_ratio=4, middle_op='mbconv',  final_expand=None, num_classes=150),
    'b3_ade20k':     dict(head_width=128, head_depth=3, expand_ratio=4, middle_op='mbconv',  final_expand=None, num_classes=150),
    'l1_ade20k':     dict(head_width=128, head_depth=3, expand_ratio=4, middle_op='fmbconv', final_expand=8,    num_classes=150),
    'l2_ade20k':     dict(head_width=128, head_depth=3, expand_ratio=4, middle_op='fmbconv', final_expand=8,    num_classes=150),
}
# yapf: enable
_SETTINGS = ('head_width', 'head_depth', 'expand_ratio', 'middle_op',
             'final_expand', 'num_classes')


@register_seg_model
class EfficientViTHead(BaseDecodeHead):
    """Add-fusion MBConv head of EfficientViT segmentation models.

    Children follow the official checkpoints: ``input_ops.0`` /
    ``input_ops.1`` (``op_list.0``: 1x1 conv + BN of stage4 / stage3),
    ``input_ops.2`` (bare 1x1 conv + BN of stage2), ``middle.op_list.i``
    (residual MBConv/FusedMBConv), ``output_ops.0.op_list.0`` (optional
    final expand, conv + BN + act); each conv unit is a
    :class:`~hvt_mm.models.layers.ConvNormAct` (norm child ``bn``, the
    official ``norm``); the classifier is mmseg's ``conv_seg`` (see
    :func:`hvt_mm.checkpoint.efficientvit.convert_segmentor`).

    Unlike the original, which upsamples by fixed factors (x4, x2) and so
    needs inputs that are multiples of 32, stage4/stage3 are resized to the
    stride-8 map's actual size; for multiples of 32 the result is identical
    (bicubic, ``align_corners=False``, in float32 with autocast off).

    Args:
        in_channels: Channels of (stage2, stage3, stage4), aligned with
            ``in_index``. Defaults to the preset backbone's widths.
        preset: ``'{arch}_{dataset}'``, e.g. ``'b1_cityscapes'`` (see
            :data:`PRESETS`): fills every head setting below, the backbone's
            activation and BN epsilon; explicit arguments override it.
        head_width, head_depth, expand_ratio, middle_op ('mbconv' or
            'fmbconv'), final_expand (None or 0: no expand conv),
            num_classes: Head settings (required without a preset).
        in_index: Positions of stage2..4 in the backbone outputs.
        norm_cfg: Norm config; ``eps`` defaults to the preset series'.
        act_cfg: Activation; defaults to the preset series' (hardswish).
        upsample_mode: Interpolation of stage4/stage3 ('bicubic').
        logit_resize_mode: Interpolation of the stride-8 logits to the
            image at inference ('bicubic' as the official evaluation;
            mmseg's default is 'bilinear'). Training losses keep mmseg's
            bilinear resize.
        logits_to_original: At inference, resize the stride-8 logits in
            one step to the original image size (``ori_shape``), as the
            official evaluation does, instead of to the network input
            (which mmseg then resizes again, bilinearly). Used only where
            the batch was not padded; otherwise as False. Defaults to False.
        **kwargs: Other :class:`BaseDecodeHead` arguments (loss_decode, ...).
    """

    def __init__(self,
                 in_channels: Optional[Sequence[int]] = None,
                 preset: Optional[str] = None,
                 head_width: Optional[int] = None,
                 head_depth: Optional[int] = None,
                 expand_ratio: Optional[float] = None,
                 middle_op: Optional[str] = None,
                 final_expand: Optional[float] = None,
                 num_classes: Optional[int] = None,
                 in_index: Sequence[int] = (1, 2, 3),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: Optional[dict] = None,
                 upsample_mode: str = 'bicubic',
                 logit_resize_mode: str = 'bicubic',
                 logits_to_original: bool = False,
                 dropout_ratio: float = 0.,
                 **kwargs) -> None:
        given = dict(
            head_width=head_width,
            head_depth=head_depth,
            expand_ratio=expand_ratio,
            middle_op=middle_op,
            final_expand=final_expand,
            num_classes=num_classes)
        cfg, defaults = self.resolve_settings(preset, given)
        in_channels = list(in_channels or defaults.get('in_channels', []))
        if len(in_channels) != 3 or len(in_index) != 3:
            raise ValueError(
                'EfficientViTHead needs in_channels and in_index for exactly '
                'three maps (stage2, stage3, stage4 at strides 8/16/32), got '
                f'in_channels={in_channels}, in_index={tuple(in_index)}.')
        if cfg['middle_op'] not in ('mbconv', 'fmbconv'):
            raise ValueError("EfficientViTHead middle_op must be 'mbconv' "
                             f"or 'fmbconv', got {cfg['middle_op']!r}.")
        norm_cfg = copy.deepcopy(norm_cfg)
        norm_cfg.setdefault('eps', defaults.get('norm_eps', 1e-5))
        act_cfg = copy.deepcopy(
            act_cfg or defaults.get('act_cfg', dict(type='HSwish')))
        width, final = cfg['head_width'], cfg['final_expand'] or None
        super().__init__(
            in_channels,
            width * final if final else width,
            num_classes=cfg['num_classes'],
            in_index=list(in_index),
            input_transform='multiple_select',
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            dropout_ratio=dropout_ratio,
            **kwargs)
        self.preset = preset
        self.upsample_mode = upsample_mode
        self.logit_resize_mode = logit_resize_mode
        self.logits_to_original = logits_to_original

        # Official order: stage4, stage3, stage2; the stride-8 map has no
        # resampling and therefore no OpSequential wrapper.
        self.input_ops = nn.ModuleList([
            OpSequential([
                ConvNormAct(
                    in_channels[2], width, 1, bias=False, norm_cfg=norm_cfg)
            ]),
            OpSequential([
                ConvNormAct(
                    in_channels[1], width, 1, bias=False, norm_cfg=norm_cfg)
            ]),
            ConvNormAct(
                in_channels[0], width, 1, bias=False, norm_cfg=norm_cfg),
        ])
        blocks = []
        for _ in range(cfg['head_depth']):
            if cfg['middle_op'] == 'mbconv':
                block = MBConv(
                    width,
                    width,
                    expand_ratio=cfg['expand_ratio'],
                    norm_cfg=norm_cfg,
                    act_cfg=(act_cfg, act_cfg, None))
            else:
                block = FusedMBConv(
                    width,
                    width,
                    expand_ratio=cfg['expand_ratio'],
                    norm_cfg=norm_cfg,
                    act_cfg=(act_cfg, None))
            blocks.append(ResidualBlock(block))
        self.middle = OpSequential(blocks)
        self.output_ops = nn.ModuleList([
            OpSequential([
                ConvNormAct(
                    width,
                    self.channels,
                    1,
                    bias=False,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg) if final else None
            ])
        ])

    @staticmethod
    def resolve_settings(preset: Optional[str],
                         given: dict) -> Tuple[dict, dict]:
        """Head settings from ``preset`` overridden by non-None ``given``.

        Returns the settings and the preset's backbone-derived defaults
        (``in_channels``, ``act_cfg``, ``norm_eps``).
        """
        cfg, defaults = {}, {}
        if preset is not None:
            if preset not in PRESETS:
                raise ValueError(
                    f'Unknown EfficientViTHead preset {preset!r}'
                    f'{did_you_mean(preset, PRESETS)}; choose one '
                    f'of {sorted(PRESETS)} (no official head exists for other '
                    'pairs) or pass every head setting explicitly.')
            cfg = dict(PRESETS[preset])
            arch = EfficientViT.arch_zoo[preset.split('_')[0]]
            defaults = dict(
                in_channels=arch['embed_dims'][1:],
                act_cfg=SERIES[arch['series']]['act_cfg'],
                norm_eps=arch['norm_eps'])
        cfg.update({k: v for k, v in given.items() if v is not None})
        missing = [
            k for k in _SETTINGS if k not in cfg and k != 'final_expand'
        ]
        if missing:
            raise ValueError(f'EfficientViTHead without a preset needs '
                             f'{missing}; or set preset to one of '
                             f'{sorted(PRESETS)}.')
        cfg.setdefault('final_expand', None)
        return cfg, defaults

    @classmethod
    def preset_cfg(cls, arch: str, dataset: str, **overrides) -> dict:
        """Config dict of the official head for ``arch`` on ``dataset``."""
        name = f'{arch.lower()}_{dataset.lower()}'
        cls.resolve_settings(name, {})  # validates the name
        return dict(type='EfficientViTHead', preset=name, **overrides)

    def _check_inputs(self, feats: List[torch.Tensor]) -> None:
        got = [f.shape[1] for f in feats]
        for i, (c, expected) in enumerate(zip(got, self.in_channels)):
            if c != expected:
                raise ValueError(
                    f'EfficientViTHead input {i} (backbone output '
                    f'{self.in_index[i]}, stage{i + 2}) has {c} channels but '
                    f'in_channels[{i}] is {expected}. Set decode_head.'
                    f'in_channels={got} to match the backbone (or in_index '
                    'to the positions of its stride 8/16/32 maps).')

    def _resize(self, x: torch.Tensor, size: torch.Size) -> torch.Tensor:
        if x.shape[-2:] == size:
            return x
        extra = {} if self.upsample_mode in ('nearest', 'area') else \
            dict(align_corners=False)
        with autocast_off(x.device.type):
            y = F.interpolate(
                x.float(), size=size, mode=self.upsample_mode, **extra)
        return y.to(x.dtype)

    def predict_by_feat(self, seg_logits: torch.Tensor,
                        batch_img_metas: List[dict]) -> torch.Tensor:
        """Resize logits with ``logit_resize_mode`` to the (padded) input,
        or to the original image (``logits_to_original``)."""
        meta = batch_img_metas[0]
        size = meta['img_shape']
        if not isinstance(size, torch.Size) and 'pad_shape' in meta:
            size = meta['pad_shape']
        unpadded = all(
            tuple(m.get('pad_shape', m['img_shape'])[:2]) == tuple(
                m['img_shape'][:2]) for m in batch_img_metas)
        if self.logits_to_original and unpadded and 'ori_shape' in meta:
            # mmseg's own resize to ori_shape is then the identity.
            size = meta['ori_shape']
        extra = {} if self.logit_resize_mode in ('nearest', 'area') else \
            dict(align_corners=self.align_corners)
        return F.interpolate(
            seg_logits,
            size=tuple(size[:2]),
            mode=self.logit_resize_mode,
            **extra)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Logits ``(B, num_classes, H/8, W/8)`` from backbone outputs."""
        feats = self._transform_inputs(inputs)
        self._check_inputs(feats)
        size = feats[0].shape[-2:]
        projected = [
            self._resize(op(feat), size)
            for op, feat in zip(self.input_ops, feats[::-1])
        ]
        # Same association as the original's recursive sum: a + (b + c).
        x = projected[-1]
        for y in projected[-2::-1]:
            x = y + x
        x = self.middle(x)
        for op in self.output_ops:
            x = op(x)
        return self.cls_seg(x)
