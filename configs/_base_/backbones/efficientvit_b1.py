# EfficientViT-B1 backbone (mit-han-lab/efficientvit) of the mask_rcnn_*,
# cascade_* and upernet_* configs: official ImageNet-1K weights, output
# widths and the backbone dicts (`backbone`: detection, `seg_backbone`:
# UperNet, `native_seg_backbone`: what the efficientvit_seg_* configs add to
# their recipe's backbone). Each other variant's file inherits this one.
checkpoint_url = 'https://huggingface.co/han-cai/efficientvit-cls/resolve/main/efficientvit_b1_r224.pt'  # noqa: E501
backbone_channels = [32, 64, 128, 256]  # EfficientViT-B1 output widths
backbone = dict(
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
        type='Pretrained', checkpoint=checkpoint_url, prefix='backbone.'))
# 16 images per step across GPUs: synchronised BN trains the backbone's
# BatchNorms (eps still from the arch table).
seg_backbone = dict(backbone, norm_cfg=dict(type='SyncBN', requires_grad=True))
del seg_backbone['norm_eval']
native_seg_backbone = dict(
    arch='b1', drop_path_rate=0.05, init_cfg=backbone['init_cfg'])
