# Mask R-CNN 1x with a LightViT-T backbone on COCO.
# Paper: 37.8 box AP / 35.9 mask AP (hunto/LightViT detection/README.md, =
# paper), with the official LightViTFPN neck.
# Weights: official ImageNet-1K lightvit_tiny_78.7.ckpt (release v0.0.1 of
# github.com/hunto/LightViT; Apache-2.0), fetched by URL on first use.
# Levels: a new stride-4 2x2 transposed conv on stage 0 (level 0; the official
# LightViTFPN neck adds the same kind of layer after its top-down fusion) and
# the three stages (strides 8/16/32).
_base_ = './_base_/mask_rcnn_coco.py'

checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_tiny_78.7.ckpt'  # noqa: E501
backbone_channels = [64, 64, 128, 256]  # LightViT-T output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.LightViT',
        arch='t',  # the global tokens of the weights (the official
        # detection config's 512 tokens for T discard the pretrained ones)
        drop_path_rate=0.1,  # official detection configs
        norm_eval=True,  # official stem_norm_eval: BN exists only in the stem
        out_norm_cfg=dict(type='LN2d', eps=1e-6),  # official output norms
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))

# Official LightViT detection optimizer (its 1x and 3x recipes): AdamW
# lr 2e-4, wd 0.04, no decay for norms/biases (base) nor for the global
# tokens and position-bias tables.
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.04),
    paramwise_cfg=dict(
        custom_keys={
            'global_token': dict(decay_mult=0.0),
            'relative_position_bias_table': dict(decay_mult=0.0)
        }))
