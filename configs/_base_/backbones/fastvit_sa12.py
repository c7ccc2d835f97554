# FastViT-SA12 backbone (apple/ml-fastvit) of the mask_rcnn_*, cascade_*,
# upernet_* and fpn_* configs: official ImageNet-1K weights, output widths,
# the backbone dict and the family's optimizer parameter groups. Each
# larger variant's file inherits this one.
checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa12.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA12 output widths
backbone = dict(
    _delete_=True,
    type='hvt_mm.FastViT',
    arch='sa12',
    drop_path_rate=0.1,  # ImageNet recipe (apple/ml-fastvit README)
    # Every FastViT norm is BatchNorm; small per-GPU batches, so keep the
    # pretrained statistics frozen (norm_eval only affects BN layers).
    norm_eval=True,
    # New output norms: LayerNorm learns without batch statistics.
    out_norm_cfg=dict(type='LN2d'),
    init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url))
paramwise_cfg = dict(custom_keys={'layer_scale': dict(decay_mult=0.0)})
