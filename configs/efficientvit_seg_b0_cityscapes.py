# EfficientViT-B0 + native segmentation head on Cityscapes.
# Paper: 75.653 mIoU (mit-han-lab/efficientvit
# applications/efficientvit_seg/README.md = paper), reproduced by the
# official weights (han-cai/efficientvit-seg on Hugging Face,
# efficientvit_seg_b0_cityscapes.pt) under the official evaluation;
# convert them for mmseg with
#   python tools/model_converters/convert_checkpoint.py efficientvit \
#       efficientvit_seg_b0_cityscapes.pt \
#       checkpoints/efficientvit_seg_b0_cityscapes.pth --segmentor
# and run
#   tools/test.py THIS_CONFIG checkpoints/efficientvit_seg_b0_cityscapes.pth.
# Training from ImageNet weights uses OUR recipe (see the base config).
# Recipe: Model and evaluation of the published checkpoint (converted with
# tools/model_converters/convert_checkpoint.py --segmentor): raw stage outputs,
# the official head and the official test resize. The training recipe is ours;
# the original repository releases none.
# ImageNet weights: none on the official hub (see below).
_base_ = './_base_/efficientvit_seg_cityscapes.py'

backbone_channels = [16, 32, 64, 128]  # EfficientViT-B0 stage1..stage4
model = dict(
    backbone=dict(
        arch='b0',
        drop_path_rate=0.0,  # smallest model: no stochastic depth
        # B0 ImageNet weights are not on the official hub (Google Drive or
        # timm only). timm's `efficientvit_b0.r224_in1k` pytorch_model.bin
        # loads as is: init_cfg=dict(type='Pretrained', checkpoint=...)
        # (the converter renames timm keys to the official layout).
        init_cfg=None),
    decode_head=dict(
        preset='b0_cityscapes',
        in_channels=backbone_channels[1:]))  # stride 8/16/32 maps
