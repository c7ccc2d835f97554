# Mask R-CNN 1x with a LightViT-T backbone (ImageNet-1K init).
# Official result (LightViT FPN neck, mmdet 2.x): 37.8 box AP / 35.9 mask AP.
# Here a standard FPN gets four levels from the backbone itself: level 0 is
# a new stride-4 2x2 transposed conv on stage 0 (the official neck adds the
# same kind of layer after its top-down fusion), levels 1-3 are the stages.
# Weights: lightvit_tiny_78.7.ckpt, release v0.0.1 of github.com/hunto/LightViT
# (Apache-2.0); load it as is or after
#   python tools/model_converters/convert_checkpoint.py lightvit IN OUT
_base_ = './_base_/mask_rcnn_coco.py'

backbone_channels = [64, 64, 128, 256]  # LightViT-T: C0 (stride 4), stages
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.LightViT',
        arch='t',  # 8 global tokens, as the weights (not the 512 of the
        # official detection config, which discards the pretrained tokens)
        drop_path_rate=0.1,  # official detection configs
        norm_eval=True,  # official stem_norm_eval: BN exists only in the stem
        out_norm_cfg=dict(type='LN2d', eps=1e-6),  # official output norms
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/lightvit_tiny_78.7.ckpt')),
    neck=dict(in_channels=backbone_channels))

# Official LightViT detection recipe: AdamW 2e-4, wd 0.04, no decay for
# norms/biases (base) nor for the global tokens and position-bias tables.
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.04),
    paramwise_cfg=dict(
        custom_keys={
            'global_token': dict(decay_mult=0.0),
            'relative_position_bias_table': dict(decay_mult=0.0)
        }))
