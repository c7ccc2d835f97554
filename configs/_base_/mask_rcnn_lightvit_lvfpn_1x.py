# The published LightViT Mask R-CNN 1x recipe (hunto/LightViT detection/
# configs/mask_rcnn_lightvit_*_fpn_1x_coco.py, mmdet 2.14), point by point on
# mmdet 3.x. Family configs add a LightViT backbone base and
# `model.backbone=dict(_base_.backbone, **_base_.lvfpn_backbone)`.
#
# As published: backbone levels 1-3 (the three stages, strides 8/16/32; the
# official out_indices=(0, 1, 2)), padded window tokens not masked
# (mask_padding=False), stem BNs in eval mode (stem_norm_eval), drop path
# 0.1, the LightViTFPN neck (stride 4 from a transposed conv after the
# top-down fusion, P6 by max pooling), mmdet's Mask R-CNN heads, single
# scale 1333x800, AdamW lr 2e-4 betas (0.9, 0.999) weight decay 0.04 with
# no decay exactly for the official key list, no gradient clipping, 500-
# iteration linear warm-up from 0.001, 12 epochs with lr x0.1 at 8 and 11,
# batch 16 (2 x 8 GPUs), fp32.
# Differs: the official stem names `stem.1/4/7/10` are `stem.convs.1/4/7/10`
# here (same parameters); find_unused_parameters is left off (the official
# runtime sets it, but every parameter is used).
_base_ = ['./mask_rcnn_coco.py']

lvfpn_backbone = dict(out_indices=(1, 2, 3), mask_padding=False)
model = dict(
    neck=dict(
        _delete_=True,
        type='hvt_mm.LightViTFPN',
        in_channels=[64, 128, 256],  # replaced by each variant
        out_channels=256,
        num_outs=5,
        num_extra_trans_convs=1))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.04),
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={
            key: dict(decay_mult=0.0)
            for key in ('absolute_pos_embed', 'relative_position_bias_table',
                        'norm', 'stem.convs.1', 'stem.convs.4', 'stem.convs.7',
                        'stem.convs.10', 'global_token')
        }))
