# LightViT-T backbone (hunto/LightViT) of the mask_rcnn_*, cascade_* and
# upernet_* configs: official ImageNet-1K weights, output widths, the
# backbone dict and the family's optimizer parameter groups. Each larger
# variant's file inherits this one.
checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_tiny_78.7.ckpt'  # noqa: E501
backbone_channels = [64, 64, 128, 256]  # LightViT-T output widths
backbone = dict(
    _delete_=True,
    type='hvt_mm.LightViT',
    arch='t',  # the global tokens of the weights (the official
    # detection config's 512 tokens for T discard the pretrained ones)
    drop_path_rate=0.1,  # official detection configs
    norm_eval=True,  # official stem_norm_eval: BN exists only in the stem
    out_norm_cfg=dict(type='LN2d', eps=1e-6),  # official output norms
    init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url))
paramwise_cfg = dict(
    custom_keys={
        'global_token': dict(decay_mult=0.0),
        'relative_position_bias_table': dict(decay_mult=0.0)
    })
