# UperNet (+ auxiliary FCN head) on ADE20K, 512x512 crops, 160k iterations.
# Family configs replace `model.backbone` (with `_delete_=True`) and set
# `decode_head.in_channels` / `auxiliary_head.in_channels` from one
# `backbone_channels` list.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

crop_size = (512, 512)
model = dict(
    # EncoderDecoder would copy `pretrained` into the backbone kwargs.
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))

# mmseg's Swin UperNet recipe: AdamW 6e-5, wd 0.01, linear warm-up, poly.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.0, flat_decay_mult=0.0))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        begin=1500,
        end=160000,
        by_epoch=False),
]
custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
