# The published LightViT Mask R-CNN 3x + multi-scale recipe (hunto/LightViT
# detection/configs/mask_rcnn_lightvit_*_fpn_3x_ms_coco.py): the 1x recipe
# (./mask_rcnn_lightvit_lvfpn_1x.py) with 36 epochs (lr x0.1 at 27 and 33,
# the same 500-iteration warm-up) and the DETR-style augmentation of
# ./coco_ms_crop_pipeline.py (the published coco_instance_ms.py).
_base_ = ['./mask_rcnn_lightvit_lvfpn_1x.py', './coco_ms_crop_pipeline.py']

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
train_dataloader = dict(dataset=dict(pipeline=_base_.ms_crop_train_pipeline))
