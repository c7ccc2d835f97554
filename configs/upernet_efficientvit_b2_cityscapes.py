# UperNet with an EfficientViT-B2 backbone on Cityscapes (512x1024 crops, 80k
# iterations).
# Paper: none (the EfficientViT paper uses its own head: see
# efficientvit_seg_*_cityscapes.py).
# Weights: official ImageNet-1K efficientvit_b2_r224.pt
# (mit-han-lab/efficientvit, han-cai/efficientvit-cls on Hugging Face;
# Apache-2.0), fetched by URL on first use.
_base_ = './_base_/upernet_cityscapes.py'

checkpoint_url = 'https://huggingface.co/han-cai/efficientvit-cls/resolve/main/efficientvit_b2_r224.pt'  # noqa: E501
backbone_channels = [48, 96, 192, 384]  # EfficientViT-B2 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.EfficientViT',
        arch='b2',
        out_indices=(1, 2, 3, 4),  # strides 4/8/16/32
        drop_path_rate=0.05,  # official ImageNet recipe
        # 16 images per step across GPUs: synchronised BN trains the
        # backbone's BatchNorms (eps still from the arch table).
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        # Stage outputs are un-normalised residual sums; LayerNorm output
        # norms (new, learnt without batch statistics) feed the new head.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint_url, prefix='backbone.')),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
