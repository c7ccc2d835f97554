# UperNet with a LightViT-S backbone on ADE20K (512x512, 160k iterations):
# ./upernet_lightvit_t_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (no LightViT segmentation results were released).
# Weights: official ImageNet-1K lightvit_small_80.9.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = './upernet_lightvit_t_ade20k.py'

checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_small_80.9.ckpt'  # noqa: E501
backbone_channels = [96, 96, 192, 384]  # LightViT-S output widths
model = dict(
    backbone=dict(arch='s', init_cfg=dict(checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
