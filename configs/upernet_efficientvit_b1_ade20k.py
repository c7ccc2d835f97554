# UperNet with an EfficientViT-B1 backbone on ADE20K (512x512, 160k), on the
# lead's shared UperNet recipe. For the official lightweight head see
# configs/efficientvit_seg_b1_ade20k.py.
_base_ = './_base_/upernet_ade20k.py'

backbone_channels = [32, 64, 128, 256]  # EfficientViT-B1 stage1..stage4
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.EfficientViT',
        arch='b1',
        out_indices=(1, 2, 3, 4),  # strides 4/8/16/32
        drop_path_rate=0.05,  # official ImageNet recipe of B1
        # 16 images per step across GPUs: synchronised BN trains the
        # backbone's BatchNorms (eps still from the arch table).
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        # Stage outputs are un-normalised residual sums; LayerNorm output
        # norms (new, learnt without batch statistics) feed the new head.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/efficientvit_b1_r224.pt',
            prefix='backbone.')),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
