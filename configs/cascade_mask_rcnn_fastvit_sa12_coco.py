# Cascade Mask R-CNN 3x (multi-scale) with a FastViT-SA12 backbone on COCO.
# Paper: none (the FastViT paper reports Mask R-CNN 1x only: see
# mask_rcnn_fastvit_*_coco.py).
# Weights: official ImageNet-1K fastvit_sa12.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
# Fused (reparameterized) inference: tools/model_converters/reparameterize.py
# THIS_CONFIG CKPT OUT, then model.backbone.deploy=True
# (docs/backbones/fastvit.md).
_base_ = './_base_/cascade_mask_rcnn_coco.py'

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

# Layer scales (C x 1 x 1, not caught by flat_decay_mult) are not decayed,
# like norms and biases.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'layer_scale': dict(decay_mult=0.0)}))
