# Mask R-CNN 1x with a LightViT-B backbone on COCO:
# ./mask_rcnn_lightvit_t_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: none for this recipe. The published LightViT detectors (LightViTFPN
# neck, 512 tokens for T, unmasked padding) are
# mask_rcnn_lightvit_b_lvfpn_{1x,3x_ms}_coco.py.
# Recipe: Ours; the published recipe is mask_rcnn_lightvit_*_lvfpn_1x_coco.py.
# Differs from it: mmdet's FPN on four levels, the first a new stride-4
# transposed conv in the backbone (published: LightViTFPN on three levels), 8
# pretrained global tokens for LightViT-T (published: 512 zero-initialised
# ones), padded window keys masked (published: not masked), no weight decay on
# global tokens, relative position tables, norms, biases and other 1-D
# parameters (published: on keys matching absolute_pos_embed,
# relative_position_bias_table, norm, the stem BNs and global_token only;
# biases decay).
# Weights: official ImageNet-1K lightvit_base_82.1.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
_base_ = ['./_base_/mask_rcnn_coco.py', './_base_/backbones/lightvit_b.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.04),
    paramwise_cfg=_base_.paramwise_cfg)
