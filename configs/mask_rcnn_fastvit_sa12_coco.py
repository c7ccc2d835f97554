# Mask R-CNN 1x with a FastViT-SA12 backbone on COCO.
# Paper: 38.9 box AP / 35.9 mask AP (FastViT paper Table 9, as cited by SHViT,
# LSNet and iFormer; UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastvit_sa12.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
# Fused (reparameterized) inference: tools/model_converters/reparameterize.py
# THIS_CONFIG CKPT OUT, then model.backbone.deploy=True
# (docs/backbones/fastvit.md).
_base_ = './_base_/mask_rcnn_coco.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa12.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA12 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FastViT',
        arch='sa12',
        drop_path_rate=0.1,  # ImageNet recipe (apple/ml-fastvit README)
        # Every FastViT norm is BatchNorm; small per-GPU batches, so keep the
        # pretrained statistics frozen (norm_eval only affects BN layers).
        norm_eval=True,
        # New output norms: LayerNorm learns without batch statistics.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))

# The FastViT paper trains Mask R-CNN with the settings of its reference
# [65], PoolFormer (citation mapping UNVERIFIED): AdamW lr 2e-4, weight
# decay 1e-4, mmdet's 1x schedule. Layer scales (C x 1 x 1, not caught by
# flat_decay_mult) are not decayed, like norms and biases.
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'layer_scale': dict(decay_mult=0.0)}))
