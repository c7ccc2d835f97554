# Mask R-CNN 1x with a FastViT-SA12 backbone (paper protocol: Mask R-CNN 1x,
# ImageNet init; reported 38.9 box AP / 35.9 mask AP).
# Inference with the fused backbone: run
#   python tools/model_converters/reparameterize.py THIS_CONFIG \
#       work_dirs/.../epoch_12.pth fused.pth
# then set model.backbone.deploy=True and load `fused.pth` (see
# docs/backbones/fastvit.md).
_base_ = './_base_/mask_rcnn_coco.py'

backbone_channels = [64, 128, 256, 512]  # FastViT-SA12 embed_dims
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FastViT',
        arch='sa12',
        drop_path_rate=0.1,  # ImageNet recipe of SA12
        # Every FastViT norm is BatchNorm; with 2 images per GPU keep the
        # pretrained statistics frozen (norm_eval only affects BN layers).
        norm_eval=True,
        # New output norms: LayerNorm learns without batch statistics.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/fastvit_sa12.pth.tar')),  # unfused form
    neck=dict(in_channels=backbone_channels))
