# Mask R-CNN 1x with a FasterViT-2 backbone (ImageNet-1K init). The paper's
# COCO number for FasterViT-2 (52.1 box / 45.4 mask AP) is Cascade Mask
# R-CNN 3x with multi-scale training, not this recipe.
# Weights: fastervit_2_224_1k.pth.tar from huggingface.co/ahatamiz/FasterViT
# (NVIDIA non-commercial licence); load it as is or after
#   python tools/model_converters/convert_checkpoint.py fastervit IN OUT
_base_ = './_base_/mask_rcnn_coco.py'

backbone_channels = [96, 192, 384, 768]  # FasterViT-2 stage widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FasterViT',
        arch='2',
        drop_path_rate=0.3,  # 76M parameters: as Swin-S/B detection
        # The stem and conv stages use BatchNorm; with 2 images per GPU keep
        # their pretrained statistics (norm_eval only affects BN layers).
        norm_eval=True,
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/fastervit_2_224_1k.pth.tar')),
    neck=dict(in_channels=backbone_channels))
