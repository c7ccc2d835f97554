# UperNet with an EfficientViT-L2 backbone on ADE20K (512x512, 160k
# iterations): ./upernet_efficientvit_b1_ade20k.py with this variant's arch,
# widths, drop path and weights.
# Paper: none (the EfficientViT paper uses its own head: see
# efficientvit_seg_*_ade20k.py).
# Recipe: Ours (the authors published segmentation models only, see the
# efficientvit_seg configs); against those backbones: LN2d output norms on the
# stage outputs (new; the official head reads raw stage outputs), BatchNorms
# frozen (norm_eval) and drop path of the ImageNet recipe.
# Weights: official ImageNet-1K efficientvit_l2_r224.pt
# (mit-han-lab/efficientvit, han-cai/efficientvit-cls on Hugging Face;
# Apache-2.0), fetched by URL on first use.
_base_ = [
    './_base_/upernet_ade20k.py', './_base_/backbones/efficientvit_l2.py'
]

model = dict(
    backbone=_base_.seg_backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
