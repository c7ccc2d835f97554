# EfficientViT-L2 + native segmentation head on ADE20K.
# Official weights (han-cai/efficientvit-seg,
# efficientvit_seg_l2_ade20k.pt):
# 50.702 mIoU with the official evaluation; convert them for mmseg with
#   python tools/model_converters/convert_checkpoint.py efficientvit \
#       efficientvit_seg_l2_ade20k.pt \
#       checkpoints/efficientvit_seg_l2_ade20k.pth --segmentor
# and run
#   tools/test.py THIS_CONFIG checkpoints/efficientvit_seg_l2_ade20k.pth.
# Training from ImageNet weights uses OUR recipe (see the base config).
_base_ = './_base_/efficientvit_seg_ade20k.py'

backbone_channels = [64, 128, 256, 512]  # EfficientViT-L2 stage1..stage4
model = dict(
    backbone=dict(
        arch='l2',
        drop_path_rate=0.1,  # official ImageNet recipe
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/efficientvit_l2_r224.pt',
            prefix='backbone.')),
    decode_head=dict(preset='l2_ade20k',
                     in_channels=backbone_channels[1:]))  # stride 8/16/32 maps
