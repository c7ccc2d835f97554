# UperNet with a LightViT-B backbone on ADE20K (512x512, 160k iterations):
# ./upernet_lightvit_t_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (no LightViT segmentation results were released).
# Weights: official ImageNet-1K lightvit_base_82.1.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = './upernet_lightvit_t_ade20k.py'

checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_base_82.1.ckpt'  # noqa: E501
backbone_channels = [128, 128, 256, 512]  # LightViT-B output widths
model = dict(
    backbone=dict(arch='b', init_cfg=dict(checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
