# UperNet (+ auxiliary FCN head) on ADE20K, 512x512 crops, 160k iterations,
# mmseg's Swin UperNet recipe (./seg_adamw_160k.py), batch 16.
# Family configs replace `model.backbone` (with `_delete_=True`) and set
# `decode_head.in_channels` / `auxiliary_head.in_channels` from one
# `backbone_channels` list.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    './seg_adamw_160k.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

crop_size = (512, 512)
model = dict(
    # EncoderDecoder would copy `pretrained` into the backbone kwargs.
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16

custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
