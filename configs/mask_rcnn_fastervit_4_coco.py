# Mask R-CNN 1x with a FasterViT-4 backbone on COCO:
# ./mask_rcnn_fastervit_0_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (the FasterViT paper reports COCO only for Cascade Mask R-CNN 3x
# with FasterViT-2/3/4: see cascade_mask_rcnn_fastervit_*_coco.py).
# Weights: official ImageNet-1K fastervit_4_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = ['./_base_/mask_rcnn_coco.py', './_base_/backbones/fastervit_4.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
