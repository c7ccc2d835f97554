# The README demo: Mask R-CNN with a FasterViT-0 backbone trained from scratch
# on the bundled toy COCO data (tools/misc/make_toy_data.py) on a 2-core CPU.
# Everything that differs from configs/mask_rcnn_fastervit_0_coco.py is
# about fitting a few minutes of CPU: small images, fewer proposals and
# RoIs, an iteration-based schedule with a higher learning rate.
# Recipe: Toy recipe for the README demo (training from scratch on the bundled
# toy data); no original counterpart.
_base_ = './mask_rcnn_fastervit_0_coco.py'

data_root = 'data/toy_coco/'
# = hvt_mm.datasets.toy.TOY_COCO_CLASSES (tests/test_configs.py checks it)
classes = ('circle', 'triangle', 'rectangle')
metainfo = dict(
    classes=classes, palette=[(220, 20, 60), (0, 128, 255), (255, 200, 0)])
image_scale = (192, 192)
max_iters = 500
head_channels = 96  # 256 in the full recipe; the heads dominate CPU time

model = dict(
    # No downloads: train from scratch (the base config downloads the
    # ImageNet weights by URL). From scratch, BatchNorm statistics must be
    # learned: norm_eval off. Raw stage outputs (out_norm_cfg=None): LN2d
    # output norms, right for the pretrained weights, stop the heads
    # learning from scratch (docs/learning.md). lr 1e-3 is close to the
    # limit: 2e-3 diverges after the warm-up.
    backbone=dict(
        drop_path_rate=0.0, norm_eval=False, out_norm_cfg=None, init_cfg=None),
    data_preprocessor=dict(pad_size_divisor=32),
    neck=dict(out_channels=head_channels),
    rpn_head=dict(
        in_channels=head_channels,
        feat_channels=head_channels,
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=head_channels),
        bbox_head=dict(
            in_channels=head_channels,
            fc_out_channels=256,
            num_classes=len(classes)),
        mask_roi_extractor=dict(out_channels=head_channels),
        mask_head=dict(
            in_channels=head_channels,
            conv_out_channels=head_channels,
            num_convs=2,
            num_classes=len(classes))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=600, max_per_img=300),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=20)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - 50,
        eta_min=1e-5,
        by_epoch=False,
        begin=50,
        end=max_iters),
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=2)]
randomness = dict(seed=0)
