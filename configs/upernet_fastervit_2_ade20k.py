# UperNet with a FasterViT-2 backbone on ADE20K (512x512, 160k iterations):
# ./upernet_fastervit_0_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: 47.2 mIoU single-scale (FasterViT paper, ADE20K table, also cited by
# H-ViT3 Table 9; UNVERIFIED against the paper).
# Recipe: The paper's setting, but the authors released no code or weights for
# it (their only downstream release is DINO); against the DINO backbone: LN2d
# output norms where the DINO backbone uses BatchNorm2d (no batch statistics at
# 2 images per GPU), drop path 0.2 (FasterViT-0/1) or 0.3 (FasterViT-2/3/4) as
# in Swin's recipes where DINO uses 0.1, and the conv stages' BatchNorms frozen
# (norm_eval).
# Weights: official ImageNet-1K fastervit_2_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = ['./_base_/upernet_ade20k.py', './_base_/backbones/fastervit_2.py']

model = dict(
    backbone=_base_.seg_backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
