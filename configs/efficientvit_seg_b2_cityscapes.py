# EfficientViT-B2 + native segmentation head on Cityscapes.
# ./efficientvit_seg_b0_cityscapes.py with this variant's arch, widths,
# drop path, head preset and weights.
# Paper: 82.073 mIoU (mit-han-lab/efficientvit
# applications/efficientvit_seg/README.md = paper), reproduced by the
# official weights (han-cai/efficientvit-seg on Hugging Face,
# efficientvit_seg_b2_cityscapes.pt) under the official evaluation;
# convert them for mmseg with
#   python tools/model_converters/convert_checkpoint.py efficientvit \
#       efficientvit_seg_b2_cityscapes.pt \
#       checkpoints/efficientvit_seg_b2_cityscapes.pth --segmentor
# and run
#   tools/test.py THIS_CONFIG checkpoints/efficientvit_seg_b2_cityscapes.pth.
# Training from ImageNet weights uses OUR recipe (see the base config).
# Recipe: Model and evaluation of the published checkpoint (converted with
# tools/model_converters/convert_checkpoint.py --segmentor): raw stage outputs,
# the official head and the official test resize. The training recipe is ours;
# the original repository releases none.
# ImageNet weights: efficientvit_b2_r224.pt (han-cai/efficientvit-cls on
# Hugging Face; Apache-2.0), fetched by URL on first use.
_base_ = [
    './_base_/efficientvit_seg_cityscapes.py',
    './_base_/backbones/efficientvit_b2.py'
]

model = dict(
    backbone=_base_.native_seg_backbone,
    decode_head=dict(
        preset='b2_cityscapes',
        in_channels=_base_.backbone_channels[1:]))  # stride 8/16/32 maps
