# The DETR-style multi-scale training pipeline of COCO instance segmentation
# (mmdet's "ms-crop" recipes, the published LightViT 3x detectors): flip,
# then either resize the shorter side to 480..800 (step 32, longer side
# <= 1333), or resize to 400/500/600, crop 384..600 px and then resize to
# 480..800. Recipes list this file among their bases and set the train
# dataloader's pipeline to `_base_.ms_crop_train_pipeline`.
ms_scales = [(short, 1333) for short in range(480, 801, 32)]
ms_crop_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [
                dict(
                    type='RandomChoiceResize',
                    scales=ms_scales,
                    keep_ratio=True)
            ],
            [
                dict(
                    type='RandomChoiceResize',
                    scales=[(400, 1333), (500, 1333), (600, 1333)],
                    keep_ratio=True),
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(384, 600),
                    allow_negative_crop=True),
                dict(
                    type='RandomChoiceResize',
                    scales=ms_scales,
                    keep_ratio=True)
            ],
        ]),
    dict(type='PackDetInputs')
]
