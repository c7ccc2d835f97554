# UperNet with a FasterViT-2 backbone on Cityscapes (512x1024 crops, 80k
# iterations).
# Paper: none (the FasterViT paper has no Cityscapes results).
# Weights: official ImageNet-1K fastervit_2_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = [
    './_base_/upernet_cityscapes.py', './_base_/backbones/fastervit_2.py'
]

model = dict(
    backbone=_base_.seg_backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
