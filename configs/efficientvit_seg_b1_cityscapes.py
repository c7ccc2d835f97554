# EfficientViT-B1 + native segmentation head on Cityscapes.
# Official weights (han-cai/efficientvit-seg,
# efficientvit_seg_b1_cityscapes.pt):
# 80.547 mIoU with the official evaluation; convert them for mmseg with
#   python tools/model_converters/convert_checkpoint.py efficientvit \
#       efficientvit_seg_b1_cityscapes.pt \
#       checkpoints/efficientvit_seg_b1_cityscapes.pth --segmentor
# and run
#   tools/test.py THIS_CONFIG checkpoints/efficientvit_seg_b1_cityscapes.pth.
# Training from ImageNet weights uses OUR recipe (see the base config).
_base_ = './_base_/efficientvit_seg_cityscapes.py'

backbone_channels = [32, 64, 128, 256]  # EfficientViT-B1 stage1..stage4
model = dict(
    backbone=dict(
        arch='b1',
        drop_path_rate=0.05,  # official ImageNet recipe
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/efficientvit_b1_r224.pt',
            prefix='backbone.')),
    decode_head=dict(
        preset='b1_cityscapes',
        in_channels=backbone_channels[1:]))  # stride 8/16/32 maps
