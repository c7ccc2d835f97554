# UperNet with a LightViT-T backbone on ADE20K (512x512, 160k iterations).
# No official LightViT segmentation code, config or weights were released;
# the paper's segmentation figures are unverified, so none is quoted here.
# The backbone provides four levels: a new stride-4 2x2 transposed conv on
# stage 0 (level 0) and the three stages (strides 8/16/32).
# Weights: lightvit_tiny_78.7.ckpt, release v0.0.1 of github.com/hunto/LightViT
# (Apache-2.0); load it as is or after
#   python tools/model_converters/convert_checkpoint.py lightvit IN OUT
_base_ = './_base_/upernet_ade20k.py'

backbone_channels = [64, 64, 128, 256]  # LightViT-T: C0 (stride 4), stages
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.LightViT',
        arch='t',  # 8 global tokens, as the weights
        drop_path_rate=0.1,  # as the official detection configs
        norm_eval=True,  # BN exists only in the stem (official stem_norm_eval)
        out_norm_cfg=dict(type='LN2d', eps=1e-6),  # official output norms
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/lightvit_tiny_78.7.ckpt')),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))

# No decay for the global tokens and position-bias tables either (the
# LightViT training recipes); the rest is the base UperNet recipe.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'global_token': dict(decay_mult=0.0),
            'relative_position_bias_table': dict(decay_mult=0.0)
        }))
