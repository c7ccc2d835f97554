# UperNet (+ auxiliary FCN head) on Cityscapes, 512x1024 crops, whole-image
# test at 1024x2048. No Swin/ConvNeXt Cityscapes UperNet recipe exists in
# mmseg 1.2.2: this is mmseg's Swin UperNet optimisation (AdamW 6e-5, wd
# 0.01, warm-up + poly, batch 16) over mmseg's 80k Cityscapes schedule
# (./seg_adamw_80k.py), with mmseg's standard Cityscapes augmentation.
# Family configs replace `model.backbone` (with `_delete_=True`) and set
# `decode_head.in_channels` / `auxiliary_head.in_channels` from one
# `backbone_channels` list.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py',
    './seg_adamw_80k.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

crop_size = (512, 1024)
model = dict(
    # EncoderDecoder would copy `pretrained` into the backbone kwargs.
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=19),
    auxiliary_head=dict(num_classes=19))
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16

custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
