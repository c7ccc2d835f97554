# Mask R-CNN 1x with a LightViT-B backbone on COCO:
# ./mask_rcnn_lightvit_t_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: 41.7 box AP / 38.8 mask AP (hunto/LightViT detection/README.md, =
# paper), with the official LightViTFPN neck.
# Weights: official ImageNet-1K lightvit_base_82.1.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = './mask_rcnn_lightvit_t_coco.py'

checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_base_82.1.ckpt'  # noqa: E501
backbone_channels = [128, 128, 256, 512]  # LightViT-B output widths
model = dict(
    backbone=dict(arch='b', init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
