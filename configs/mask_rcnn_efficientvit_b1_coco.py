# Mask R-CNN 1x with an EfficientViT-B1 backbone (ImageNet init). No official
# detection results exist for this backbone: the recipe is the lead's shared
# AdamW 1x base (configs/_base_/mask_rcnn_coco.py).
_base_ = './_base_/mask_rcnn_coco.py'

backbone_channels = [32, 64, 128, 256]  # EfficientViT-B1 stage1..stage4
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.EfficientViT',
        arch='b1',
        out_indices=(1, 2, 3, 4),  # strides 4/8/16/32
        drop_path_rate=0.05,  # official ImageNet recipe of B1
        # Every EfficientViT norm is BatchNorm; with 2 images per GPU keep the
        # pretrained statistics frozen (norm_eval only affects BN layers).
        norm_eval=True,
        # Stage outputs are un-normalised residual sums; LayerNorm output
        # norms (new, learnt without batch statistics) feed the new FPN.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/efficientvit_b1_r224.pt',
            prefix='backbone.')),
    neck=dict(in_channels=backbone_channels))
