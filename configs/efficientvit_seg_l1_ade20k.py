# EfficientViT-L1 + native segmentation head on ADE20K.
# ./efficientvit_seg_b1_ade20k.py with this variant's arch, widths,
# drop path, head preset and weights.
# Paper: 49.191 mIoU (mit-han-lab/efficientvit
# applications/efficientvit_seg/README.md = paper), reproduced by the
# official weights (han-cai/efficientvit-seg on Hugging Face,
# efficientvit_seg_l1_ade20k.pt) under the official evaluation;
# convert them for mmseg with
#   python tools/model_converters/convert_checkpoint.py efficientvit \
#       efficientvit_seg_l1_ade20k.pt \
#       checkpoints/efficientvit_seg_l1_ade20k.pth --segmentor
# and run
#   tools/test.py THIS_CONFIG checkpoints/efficientvit_seg_l1_ade20k.pth.
# Training from ImageNet weights uses OUR recipe (see the base config).
# Recipe: Model and evaluation of the published checkpoint (converted with
# tools/model_converters/convert_checkpoint.py --segmentor): raw stage outputs,
# the official head and the official test resize. The training recipe is ours;
# the original repository releases none.
# ImageNet weights: efficientvit_l1_r224.pt (han-cai/efficientvit-cls on
# Hugging Face; Apache-2.0), fetched by URL on first use.
_base_ = [
    './_base_/efficientvit_seg_ade20k.py',
    './_base_/backbones/efficientvit_l1.py'
]

model = dict(
    backbone=_base_.native_seg_backbone,
    decode_head=dict(
        preset='l1_ade20k',
        in_channels=_base_.backbone_channels[1:]))  # stride 8/16/32 maps
