# Mask R-CNN 1x with a LightViT-B backbone on COCO:
# ./mask_rcnn_lightvit_t_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: 41.7 box AP / 38.8 mask AP (hunto/LightViT detection/README.md, =
# paper), with the official LightViTFPN neck.
# Weights: official ImageNet-1K lightvit_base_82.1.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = ['./_base_/mask_rcnn_coco.py', './_base_/backbones/lightvit_b.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.04),
    paramwise_cfg=_base_.paramwise_cfg)
