# Cascade Mask R-CNN 3x (multi-scale) with a FasterViT-4 backbone on COCO:
# ./cascade_mask_rcnn_fastervit_0_coco.py with this variant's arch, widths,
# drop path and weights.
# Paper: 52.9 box AP / 45.8 mask AP (FasterViT paper, COCO table; transcribed
# by secondary sources, UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastervit_4_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = [
    './_base_/cascade_mask_rcnn_coco.py', './_base_/backbones/fastervit_4.py'
]

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
