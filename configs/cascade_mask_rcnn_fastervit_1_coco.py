# Cascade Mask R-CNN 3x (multi-scale) with a FasterViT-1 backbone on COCO:
# ./cascade_mask_rcnn_fastervit_0_coco.py with this variant's arch, widths,
# drop path and weights.
# Paper: none (the FasterViT paper reports this setting for FasterViT-2/3/4
# only).
# Weights: official ImageNet-1K fastervit_1_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './cascade_mask_rcnn_fastervit_0_coco.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_1_224_1k.pth.tar'  # noqa: E501
backbone_channels = [80, 160, 320, 640]  # FasterViT-1 output widths
model = dict(
    backbone=dict(arch='1', init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
