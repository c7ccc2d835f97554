# The published LightViT Mask R-CNN 3x + multi-scale recipe (hunto/LightViT
# detection/configs/mask_rcnn_lightvit_*_fpn_3x_ms_coco.py): the 1x recipe
# (./mask_rcnn_lightvit_lvfpn_1x.py) with 36 epochs (lr x0.1 at 27 and 33,
# the same 500-iteration warm-up) and the DETR-style augmentation: flip, then
# either a resize to a short side of 480..800 (step 32, long side <= 1333) or
# a resize to 400/500/600, an absolute-range crop of 384..600 and the
# 480..800 resize.
_base_ = ['./mask_rcnn_lightvit_lvfpn_1x.py']

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[27, 33],
        gamma=0.1)
]
multi_scales = [(1333, short) for short in range(480, 801, 32)]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [
                dict(
                    type='RandomChoiceResize',
                    scales=multi_scales,
                    keep_ratio=True)
            ],
            [
                dict(
                    type='RandomChoiceResize',
                    scales=[(1333, 400), (1333, 500), (1333, 600)],
                    keep_ratio=True),
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(384, 600),
                    allow_negative_crop=True),
                dict(
                    type='RandomChoiceResize',
                    scales=multi_scales,
                    keep_ratio=True)
            ],
        ]),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
