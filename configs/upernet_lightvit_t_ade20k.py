# UperNet with a LightViT-T backbone on ADE20K (512x512, 160k iterations).
# Paper: none (no LightViT segmentation results were released).
# Recipe: Ours (no published LightViT recipe for this method). Against the
# published detectors' backbone and optimizer: four levels, the first from a
# new stride-4 transposed conv in the backbone (published: three levels into
# LightViTFPN), 8 pretrained global tokens for LightViT-T (published: 512
# zero-initialised ones), padded window keys masked (published: not masked), no
# weight decay on global tokens, relative position tables, norms, biases and
# other 1-D parameters (published: on keys matching absolute_pos_embed,
# relative_position_bias_table, norm, the stem BNs and global_token only;
# biases decay).
# Weights: official ImageNet-1K lightvit_tiny_78.7.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
# Levels: a new stride-4 2x2 transposed conv on stage 0 (level 0; the official
# LightViTFPN neck adds the same kind of layer after its top-down fusion) and
# the three stages (strides 8/16/32).
_base_ = ['./_base_/upernet_ade20k.py', './_base_/backbones/lightvit_t.py']

model = dict(
    backbone=_base_.backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
