# UperNet with a FastViT-SA24 backbone on Cityscapes (512x1024 crops, 80k
# iterations).
# Paper: none (the FastViT paper has no Cityscapes results).
# Weights: official ImageNet-1K fastvit_sa24.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
# Fused (reparameterized) inference: tools/model_converters/reparameterize.py
# THIS_CONFIG CKPT OUT, then model.backbone.deploy=True
# (docs/backbones/fastvit.md).
_base_ = './_base_/upernet_cityscapes.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa24.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA24 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FastViT',
        arch='sa24',
        drop_path_rate=0.1,  # ImageNet recipe (apple/ml-fastvit README)
        # Every FastViT norm is BatchNorm; small per-GPU batches, so keep the
        # pretrained statistics frozen (norm_eval only affects BN layers).
        norm_eval=True,
        # New output norms: LayerNorm learns without batch statistics.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))

# Layer scales (C x 1 x 1, not caught by flat_decay_mult) are not decayed,
# like norms and biases.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'layer_scale': dict(decay_mult=0.0)}))
