# Mask R-CNN 1x with LightViT-B and the LightViTFPN neck on
# COCO: the published recipe of hunto/LightViT detection/configs/
# mask_rcnn_lightvit_base_fpn_1x_coco.py, as described in
# ./_base_/mask_rcnn_lightvit_lvfpn_1x.py. The published checkpoint
# of this recipe (Google Drive, linked in configs/metafile.yml) loads as it
# is: tools/test.py THIS_CONFIG CHECKPOINT.
# Paper: 41.7 box AP / 38.8 mask AP (hunto/LightViT detection/README.md, the
# LightViT paper's numbers).
# Recipe: The published recipe and checkpoint, point by point (see
# ./_base_/mask_rcnn_lightvit_lvfpn_1x.py). Differs only in names (stem.convs.N
# for the official stem.N in the no-decay list) and in leaving
# find_unused_parameters off (every parameter is used).
# Weights: official ImageNet-1K LightViT-B (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = [
    './_base_/mask_rcnn_lightvit_lvfpn_1x.py',
    './_base_/backbones/lightvit_b.py'
]

backbone_channels = _base_.backbone_channels[1:]  # levels 1-3
model = dict(
    backbone=dict(_base_.backbone, **_base_.lvfpn_backbone),
    neck=dict(in_channels=backbone_channels))
