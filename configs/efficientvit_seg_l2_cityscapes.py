# EfficientViT-L2 + native segmentation head on Cityscapes.
# ./efficientvit_seg_b0_cityscapes.py with this variant's arch, widths,
# drop path, head preset and weights.
# Paper: 83.228 mIoU (mit-han-lab/efficientvit
# applications/efficientvit_seg/README.md = paper), reproduced by the
# official weights (han-cai/efficientvit-seg on Hugging Face,
# efficientvit_seg_l2_cityscapes.pt) under the official evaluation;
# convert them for mmseg with
#   python tools/model_converters/convert_checkpoint.py efficientvit \
#       efficientvit_seg_l2_cityscapes.pt \
#       checkpoints/efficientvit_seg_l2_cityscapes.pth --segmentor
# and run
#   tools/test.py THIS_CONFIG checkpoints/efficientvit_seg_l2_cityscapes.pth.
# Training from ImageNet weights uses OUR recipe (see the base config).
# ImageNet weights: efficientvit_l2_r224.pt (han-cai/efficientvit-cls on
# Hugging Face; Apache-2.0), fetched by URL on first use.
_base_ = './efficientvit_seg_b0_cityscapes.py'

checkpoint_url = 'https://huggingface.co/han-cai/efficientvit-cls/resolve/main/efficientvit_l2_r224.pt'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # EfficientViT-L2 stage1..stage4
model = dict(
    backbone=dict(
        arch='l2',
        drop_path_rate=0.1,  # official ImageNet recipe
        # The B0 sibling has no ImageNet weights (init_cfg=None).
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint=checkpoint_url,
            prefix='backbone.')),
    decode_head=dict(
        preset='l2_cityscapes',
        in_channels=backbone_channels[1:]))  # stride 8/16/32 maps
