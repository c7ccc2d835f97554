# UperNet with a LightViT-B backbone on ADE20K (512x512, 160k iterations):
# ./upernet_lightvit_t_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (no LightViT segmentation results were released).
# Weights: official ImageNet-1K lightvit_base_82.1.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = ['./_base_/upernet_ade20k.py', './_base_/backbones/lightvit_b.py']

model = dict(
    backbone=_base_.backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
