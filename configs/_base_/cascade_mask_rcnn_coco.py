# Cascade Mask R-CNN + FPN on COCO, 3x schedule with multi-scale training:
# the FasterViT paper's COCO setting (AdamW, lr 1e-4, weight decay 0.05,
# 36 epochs, batch 16, shorter side 480-800). Heads, augmentation and
# schedule follow mmdet 3.3's
# convnext/cascade-mask-rcnn_convnext-t-p4-w7_fpn_4conv1fc-giou_amp-ms-crop-3x_coco.py  # noqa: E501
# except its optimizer (lr 2e-4 with ConvNeXt-only layer-wise decay 0.7):
# the FasterViT paper states lr 1e-4 and no layer decay. Mixed precision
# as in that recipe: `tools/train.py CONFIG --amp`.
# Family configs replace `model.backbone` (with `_delete_=True`) and set
# `model.neck.in_channels` from one `backbone_channels` list.
_base_ = [
    'mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    './det_adamw_3x.py',
    'mmdet::_base_/default_runtime.py',
    './coco_ms_crop_pipeline.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

# The three cascade stages differ only in their regression target stds.
cascade_target_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                       [0.033, 0.033, 0.067, 0.067]]
model = dict(
    # The R50 base loads torchvision weights; our backbones use init_cfg.
    backbone=dict(init_cfg=None),
    roi_head=dict(bbox_head=[
        dict(
            # "4conv1fc": four shared 3x3 convs (SyncBN) and one fc.
            type='ConvFCBBoxHead',
            num_shared_convs=4,
            num_shared_fcs=1,
            in_channels=256,
            conv_out_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=stds),
            reg_class_agnostic=False,
            reg_decoded_bbox=True,  # GIoU is computed on decoded boxes
            norm_cfg=dict(type='SyncBN', requires_grad=True),
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='GIoULoss', loss_weight=10.0))
        for stds in cascade_target_stds
    ]))

# Multi-scale training, DETR-style (./coco_ms_crop_pipeline.py).
train_dataloader = dict(dataset=dict(pipeline=_base_.ms_crop_train_pipeline))

custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
