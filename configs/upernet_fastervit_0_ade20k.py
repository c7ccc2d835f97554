# UperNet with a FasterViT-0 backbone on ADE20K (512x512, 160k iterations).
# Paper: none (the FasterViT paper reports UperNet for FasterViT-2/3/4 only).
# Weights: official ImageNet-1K fastervit_0_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = ['./_base_/upernet_ade20k.py', './_base_/backbones/fastervit_0.py']

model = dict(
    backbone=_base_.seg_backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
