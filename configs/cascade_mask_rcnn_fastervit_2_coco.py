# Cascade Mask R-CNN 3x (multi-scale) with a FasterViT-2 backbone on COCO:
# ./cascade_mask_rcnn_fastervit_0_coco.py with this variant's arch, widths,
# drop path and weights.
# Paper: 52.1 box AP / 45.4 mask AP (FasterViT paper, COCO table; transcribed
# by secondary sources, UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastervit_2_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './cascade_mask_rcnn_fastervit_0_coco.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_2_224_1k.pth.tar'  # noqa: E501
backbone_channels = [96, 192, 384, 768]  # FasterViT-2 output widths
model = dict(
    backbone=dict(
        arch='2',
        drop_path_rate=0.3,  # as Swin-S/B detection
        init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
