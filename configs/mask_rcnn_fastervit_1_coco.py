# Mask R-CNN 1x with a FasterViT-1 backbone on COCO:
# ./mask_rcnn_fastervit_0_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (the FasterViT paper reports COCO only for Cascade Mask R-CNN 3x
# with FasterViT-2/3/4: see cascade_mask_rcnn_fastervit_*_coco.py).
# Recipe: Ours (the paper reports this setting for FasterViT-2/3/4 only; the
# authors' only downstream release is DINO); against the DINO backbone: LN2d
# output norms where the DINO backbone uses BatchNorm2d (no batch statistics at
# 2 images per GPU), drop path 0.2 (FasterViT-0/1) or 0.3 (FasterViT-2/3/4) as
# in Swin's recipes where DINO uses 0.1, and the conv stages' BatchNorms frozen
# (norm_eval).
# Weights: official ImageNet-1K fastervit_1_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = ['./_base_/mask_rcnn_coco.py', './_base_/backbones/fastervit_1.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
