# Mask R-CNN + FPN on COCO instance segmentation, 1x schedule, AdamW
# (./det_adamw_1x.py). Family configs replace `model.backbone` (with
# `_delete_=True`) and set `model.neck.in_channels` from one
# `backbone_channels` list.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    './det_adamw_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

model = dict(
    # The R50 base loads torchvision weights; our backbones use init_cfg.
    backbone=dict(init_cfg=None))

custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
