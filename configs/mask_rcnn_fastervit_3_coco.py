# Mask R-CNN 1x with a FasterViT-3 backbone on COCO:
# ./mask_rcnn_fastervit_0_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (the FasterViT paper reports COCO only for Cascade Mask R-CNN 3x
# with FasterViT-2/3/4: see cascade_mask_rcnn_fastervit_*_coco.py).
# Weights: official ImageNet-1K fastervit_3_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './mask_rcnn_fastervit_0_coco.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_3_224_1k.pth.tar'  # noqa: E501
backbone_channels = [128, 256, 512, 1024]  # FasterViT-3 output widths
model = dict(
    backbone=dict(
        arch='3',
        drop_path_rate=0.3,  # as Swin-S/B detection
        init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
