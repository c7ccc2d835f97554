# Mask R-CNN 1x with an EfficientViT-B1 backbone on COCO.
# Paper: none (the EfficientViT paper has no COCO detection results).
# Weights: official ImageNet-1K efficientvit_b1_r224.pt
# (mit-han-lab/efficientvit, han-cai/efficientvit-cls on Hugging Face;
# Apache-2.0), fetched by URL on first use.
_base_ = './_base_/mask_rcnn_coco.py'

checkpoint_url = 'https://huggingface.co/han-cai/efficientvit-cls/resolve/main/efficientvit_b1_r224.pt'  # noqa: E501
backbone_channels = [32, 64, 128, 256]  # EfficientViT-B1 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.EfficientViT',
        arch='b1',
        out_indices=(1, 2, 3, 4),  # strides 4/8/16/32
        drop_path_rate=0.05,  # official ImageNet recipe
        # Every EfficientViT norm is BatchNorm; with 2 images per GPU keep the
        # pretrained statistics frozen (norm_eval only affects BN layers).
        norm_eval=True,
        # Stage outputs are un-normalised residual sums; LayerNorm output
        # norms (new, learnt without batch statistics) feed the new head.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint_url, prefix='backbone.')),
    neck=dict(in_channels=backbone_channels))
