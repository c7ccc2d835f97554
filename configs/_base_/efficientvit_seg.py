# EfficientViT + native add-fusion head: model and OUR training recipe,
# shared by ./efficientvit_seg_cityscapes.py and ./efficientvit_seg_ade20k.py.
#
# Training recipe: OURS, not official (the original repository ships none).
# Closest published recipes for mobile conv+attention backbones with light
# heads in mmseg (TopFormer, SeaFormer) and SegFormer: AdamW, 1500-iteration
# linear warm-up, poly decay (power 1.0), 160k iterations, batch 16 (the
# dataset bases set 2 per GPU for 8 GPUs), head at 10x lr because it starts
# from scratch. BatchNorm is synchronised (SyncBN) because EfficientViT uses
# BN everywhere; its epsilon still comes from the arch table (B 1e-5,
# L 1e-7). Variant configs set the arch, the head preset and the ImageNet
# checkpoint.
_base_ = [
    'mmseg::_base_/default_runtime.py',
    './seg_adamw_160k.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    # Pad a training batch to its largest crop (full crops need no padding)
    # rather than to a fixed size; test images are never padded.
    size_divisor=32)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='hvt_mm.EfficientViT',
        arch='b1',
        norm_cfg=norm_cfg,
        drop_path_rate=0.05),  # variant configs add the ImageNet init_cfg
    decode_head=dict(
        type='EfficientViTHead',  # registered in mmseg's scope by hvt_mm
        preset='b1_cityscapes',  # variant configs set arch and preset
        in_channels=[64, 128, 256],
        in_index=[1, 2, 3],
        norm_cfg=norm_cfg,
        dropout_ratio=0.0,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# ./seg_adamw_160k.py with the head at 10x lr and lr 1.2e-4.
optim_wrapper = dict(
    optimizer=dict(lr=1.2e-4),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)}))

custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
