# Cascade Mask R-CNN 3x (multi-scale) with a FasterViT-3 backbone on COCO:
# ./cascade_mask_rcnn_fastervit_0_coco.py with this variant's arch, widths,
# drop path and weights.
# Paper: 52.4 box AP / 45.4 mask AP (FasterViT paper, COCO table; transcribed
# by secondary sources, UNVERIFIED against the paper).
# Recipe: The paper's setting, but the authors released no code or weights for
# it (their only downstream release is DINO); against the DINO backbone: LN2d
# output norms where the DINO backbone uses BatchNorm2d (no batch statistics at
# 2 images per GPU), drop path 0.2 (FasterViT-0/1) or 0.3 (FasterViT-2/3/4) as
# in Swin's recipes where DINO uses 0.1, and the conv stages' BatchNorms frozen
# (norm_eval).
# Weights: official ImageNet-1K fastervit_3_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = [
    './_base_/cascade_mask_rcnn_coco.py', './_base_/backbones/fastervit_3.py'
]

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
