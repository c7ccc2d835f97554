# Cascade Mask R-CNN 3x (multi-scale) with a LightViT-S backbone on COCO:
# ./cascade_mask_rcnn_lightvit_t_coco.py with this variant's arch, widths, drop
# path and weights.
# Paper: none (the LightViT paper reports Mask R-CNN only, 1x and 3x with
# multi-scale training).
# Weights: official ImageNet-1K lightvit_small_80.9.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = './cascade_mask_rcnn_lightvit_t_coco.py'

checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_small_80.9.ckpt'  # noqa: E501
backbone_channels = [96, 96, 192, 384]  # LightViT-S output widths
model = dict(
    backbone=dict(arch='s', init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
