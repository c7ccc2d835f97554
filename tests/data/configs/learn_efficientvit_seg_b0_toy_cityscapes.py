# Learning test (tests/test_learning.py): the shipped EfficientViT-B0 +
# native head (EfficientViTHead) Cityscapes config trained FROM SCRATCH on
# toy Cityscapes (hvt_mm.datasets.toy, 6 of the 19 classes, 256x128
# images). Only what a few CPU minutes need differs: small crops, no
# downloads, a short high-lr schedule.
_base_ = '../../../configs/efficientvit_seg_b0_cityscapes.py'

data_root = 'data/toy_cityscapes/'  # the test points this at its own copy
# = hvt_mm.datasets.toy.TOY_CITYSCAPES_CLASSES (their real trainIds are kept
# in the pngs; CityscapesDataset maps them to 0..5 by name)
classes = ('road', 'sidewalk', 'building', 'vegetation', 'sky', 'car')
crop_size = (128, 128)
max_iters = 120
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(num_classes=len(classes), norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(256, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# The recipe's 10x head lr is for an ImageNet backbone; here both start
# from scratch.
optim_wrapper = dict(
    optimizer=dict(lr=2e-3, weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=1.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        begin=20,
        end=max_iters,
        by_epoch=False),
]
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=max_iters))
custom_hooks = []
randomness = dict(seed=0)
