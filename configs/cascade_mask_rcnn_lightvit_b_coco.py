# Cascade Mask R-CNN 3x (multi-scale) with a LightViT-B backbone on COCO:
# ./cascade_mask_rcnn_lightvit_t_coco.py with this variant's arch, widths, drop
# path and weights.
# Paper: none (the LightViT paper reports Mask R-CNN only, 1x and 3x with
# multi-scale training).
# Weights: official ImageNet-1K lightvit_base_82.1.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = [
    './_base_/cascade_mask_rcnn_coco.py', './_base_/backbones/lightvit_b.py'
]

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.04),
    paramwise_cfg=_base_.paramwise_cfg)
