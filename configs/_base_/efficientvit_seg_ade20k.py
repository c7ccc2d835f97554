# EfficientViT segmentation (native add-fusion head) on ADE20K.
#
# Evaluation reproduces the official protocol: short side resized to 512 and
# the long side rounded up to a multiple of 32, bicubic; labels minus 1 with
# 0 ignored (reduce_zero_label); whole image, single scale, no flip. Logits
# go bicubic from stride 8 to the resized image (EfficientViTHead.
# logit_resize_mode), then mmseg resizes them bilinearly to the original
# label size; the original does one bicubic resize: a small expected
# difference.
#
# Training (ours, see ./efficientvit_seg.py): 512x512 crops of mmseg's
# standard ADE20K augmentation.
_base_ = [
    'mmseg::_base_/datasets/ade20k.py',
    './efficientvit_seg.py',
]

model = dict(decode_head=dict(preset='b1_ade20k'))

# Official evaluation resize (short side 512, long side to a multiple of 32).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='Resize',
        scale=(4096, 512),
        keep_ratio=True,
        interpolation='bicubic'),
    dict(type='ResizeToMultiple', size_divisor=32, interpolation='bicubic'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=4)  # x 8 GPUs = 16
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
