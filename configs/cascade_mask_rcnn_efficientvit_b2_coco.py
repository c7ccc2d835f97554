# Cascade Mask R-CNN 3x (multi-scale) with an EfficientViT-B2 backbone on COCO:
# ./cascade_mask_rcnn_efficientvit_b1_coco.py with this variant's arch, widths,
# drop path and weights.
# Paper: none (the EfficientViT paper has no COCO detection results).
# Recipe: Ours (the authors published segmentation models only, see the
# efficientvit_seg configs); against those backbones: LN2d output norms on the
# stage outputs (new; the official head reads raw stage outputs), BatchNorms
# frozen (norm_eval) and drop path of the ImageNet recipe.
# Weights: official ImageNet-1K efficientvit_b2_r224.pt
# (mit-han-lab/efficientvit, han-cai/efficientvit-cls on Hugging Face;
# Apache-2.0), fetched by URL on first use.
_base_ = [
    './_base_/cascade_mask_rcnn_coco.py',
    './_base_/backbones/efficientvit_b2.py'
]

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
