# Cascade Mask R-CNN 3x (multi-scale) with a LightViT-T backbone on COCO.
# Paper: none (the LightViT paper reports Mask R-CNN only, 1x and 3x with
# multi-scale training).
# Weights: official ImageNet-1K lightvit_tiny_78.7.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
# Levels: a new stride-4 2x2 transposed conv on stage 0 (level 0; the official
# LightViTFPN neck adds the same kind of layer after its top-down fusion) and
# the three stages (strides 8/16/32).
_base_ = [
    './_base_/cascade_mask_rcnn_coco.py', './_base_/backbones/lightvit_t.py'
]

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.04),
    paramwise_cfg=_base_.paramwise_cfg)
