# Mask R-CNN 1x with a FastViT-SA12 backbone on COCO.
# Paper: 38.9 box AP / 35.9 mask AP (FastViT paper Table 9, as cited by SHViT,
# LSNet and iFormer; UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastvit_sa12.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
# Fused (reparameterized) inference: tools/model_converters/reparameterize.py
# THIS_CONFIG CKPT OUT, then model.backbone.deploy=True
# (docs/backbones/fastvit.md).
_base_ = ['./_base_/mask_rcnn_coco.py', './_base_/backbones/fastvit_sa12.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=1e-4),
    paramwise_cfg=_base_.paramwise_cfg)
