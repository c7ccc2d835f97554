# EfficientViT segmentation (native add-fusion head) on ADE20K.
#
# Evaluation is the official protocol (applications/efficientvit_seg of
# mit-han-lab/efficientvit): one OpenCV bicubic resize of the image, short
# side to 512 and long side rounded up to a multiple of 32
# (hvt_mm.ResizeShortSideToMultiple); labels minus 1 with 0 ignored
# (reduce_zero_label); whole image, single scale, no flip; one bicubic resize
# of the stride-8 logits to the original label size (EfficientViTHead
# logits_to_original).
#
# Training (ours, see ./efficientvit_seg.py): 512x512 crops of mmseg's
# standard ADE20K augmentation.
_base_ = [
    'mmseg::_base_/datasets/ade20k.py',
    './efficientvit_seg.py',
]

model = dict(decode_head=dict(preset='b1_ade20k', logits_to_original=True))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='hvt_mm.ResizeShortSideToMultiple',
        short_side=512,
        divisor=32,
        interpolation='bicubic'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=4)  # x 8 GPUs = 16
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
