# Mask R-CNN 1x with a FasterViT-0 backbone (ImageNet-1K init). No official
# detection result exists for FasterViT-0 (the paper reports Cascade Mask
# R-CNN 3x for FasterViT-2/3/4 only).
# Weights: fastervit_0_224_1k.pth.tar from huggingface.co/ahatamiz/FasterViT
# (NVIDIA non-commercial licence); load it as is or after
#   python tools/model_converters/convert_checkpoint.py fastervit IN OUT
_base_ = './_base_/mask_rcnn_coco.py'

backbone_channels = [64, 128, 256, 512]  # FasterViT-0 stage widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FasterViT',
        arch='0',
        drop_path_rate=0.2,  # ImageNet rate of FasterViT-0, as Swin-T det
        # The stem and conv stages use BatchNorm; with 2 images per GPU keep
        # their pretrained statistics (norm_eval only affects BN layers).
        norm_eval=True,
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/fastervit_0_224_1k.pth.tar')),
    neck=dict(in_channels=backbone_channels))
