# UperNet with a FasterViT-3 backbone on Cityscapes (512x1024 crops, 80k
# iterations): ./upernet_fastervit_2_cityscapes.py with this variant's arch,
# widths, drop path and weights.
# Paper: none (the FasterViT paper has no Cityscapes results).
# Recipe: Ours (the paper reports this setting for FasterViT-2/3/4 only; the
# authors' only downstream release is DINO); against the DINO backbone: LN2d
# output norms where the DINO backbone uses BatchNorm2d (no batch statistics at
# 2 images per GPU), drop path 0.2 (FasterViT-0/1) or 0.3 (FasterViT-2/3/4) as
# in Swin's recipes where DINO uses 0.1, and the conv stages' BatchNorms frozen
# (norm_eval).
# Weights: official ImageNet-1K fastervit_3_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = [
    './_base_/upernet_cityscapes.py', './_base_/backbones/fastervit_3.py'
]

model = dict(
    backbone=_base_.seg_backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
