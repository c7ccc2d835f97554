# Learning test (tests/test_learning.py): the shipped UperNet + FasterViT-0
# ADE20K config trained FROM SCRATCH on toy ADE20K (hvt_mm.datasets.toy,
# 5 classes, images 144-192 px). Only what a few CPU minutes need differs:
# small crops and heads, no downloads, a short high-lr schedule.
_base_ = '../../../configs/upernet_fastervit_0_ade20k.py'

data_root = 'data/toy_ade/'  # the test points this at its own toy copy
# = hvt_mm.datasets.toy.TOY_ADE_CLASSES (the first five ADE20K classes)
classes = ('wall', 'building', 'sky', 'floor', 'tree')
crop_size = (128, 128)
max_iters = 120
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        drop_path_rate=0.0,
        norm_eval=False,  # from scratch: BN statistics must be learned
        out_norm_cfg=dict(type='BN'),
        init_cfg=None),
    decode_head=dict(channels=64, num_classes=len(classes), norm_cfg=norm_cfg),
    auxiliary_head=dict(
        channels=32, num_classes=len(classes), norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=(160, 160),
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(160, 160), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
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
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.01))
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
