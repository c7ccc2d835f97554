# Mask R-CNN 1x with a FasterViT-0 backbone on COCO.
# Paper: none (the FasterViT paper reports COCO only for Cascade Mask R-CNN 3x
# with FasterViT-2/3/4: see cascade_mask_rcnn_fastervit_*_coco.py).
# Weights: official ImageNet-1K fastervit_0_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './_base_/mask_rcnn_coco.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_0_224_1k.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FasterViT-0 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FasterViT',
        arch='0',
        drop_path_rate=0.2,  # ImageNet rate; Swin-T detection uses 0.2
        # The stem and conv stages use BatchNorm; with 2 images per GPU keep
        # their pretrained statistics (norm_eval only affects BN layers).
        norm_eval=True,
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
