# Mask R-CNN + FPN on COCO instance segmentation, 1x schedule, AdamW.
# Family configs replace `model.backbone` (with `_delete_=True`) and set
# `model.neck.in_channels` from one `backbone_channels` list.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

model = dict(
    # The R50 base loads torchvision weights; our backbones use init_cfg.
    backbone=dict(init_cfg=None))

# Transformer-style recipe (as mmdet's Swin/ConvNeXt Mask R-CNN): AdamW,
# no weight decay on norms, biases and other 1-D parameters (layer scales).
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, flat_decay_mult=0.0),
    clip_grad=None)

custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
auto_scale_lr = dict(enable=False, base_batch_size=16)
