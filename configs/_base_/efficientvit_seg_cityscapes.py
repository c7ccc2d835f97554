# EfficientViT segmentation (native add-fusion head) on Cityscapes.
#
# Evaluation reproduces the official protocol: 1024x2048 whole image, single
# scale, no flip, ImageNet mean/std on RGB, stride-8 logits resized bicubic
# to the label size (EfficientViTHead.logit_resize_mode; mmseg's default
# would be bilinear).
#
# Training (ours, see ./efficientvit_seg.py): 1024x1024 crops of the 0.5-2.0x
# rescaled 2048x1024 images, mmseg's Cityscapes 1024 augmentation.
_base_ = [
    'mmseg::_base_/datasets/cityscapes_1024x1024.py',
    './efficientvit_seg.py',
]

model = dict(decode_head=dict(preset='b1_cityscapes'))
train_dataloader = dict(batch_size=2, num_workers=4)  # x 8 GPUs = 16
