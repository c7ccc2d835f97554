# UperNet with a FastViT-SA12 backbone on ADE20K (512x512, 160k iterations).
# For fused inference see configs/mask_rcnn_fastvit_sa12_coco.py and
# docs/backbones/fastvit.md (tools/model_converters/reparameterize.py,
# deploy=True).
_base_ = './_base_/upernet_ade20k.py'

backbone_channels = [64, 128, 256, 512]  # FastViT-SA12 embed_dims
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FastViT',
        arch='sa12',
        drop_path_rate=0.1,  # ImageNet recipe of SA12
        # Every FastViT norm is BatchNorm; small per-GPU batches, so keep the
        # pretrained statistics frozen (norm_eval only affects BN layers).
        norm_eval=True,
        # New output norms: LayerNorm learns without batch statistics.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/fastvit_sa12.pth.tar')),  # unfused form
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
