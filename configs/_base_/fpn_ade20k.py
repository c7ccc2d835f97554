# Semantic FPN on ADE20K, 512x512 crops: the bases of mmseg 1.2.2's
# sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py with the PoolFormer recipe
# that the FastViT paper follows for its Semantic FPN results ("same
# settings as [65]", read as PoolFormer; UNVERIFIED mapping): AdamW lr
# 2e-4, weight decay 1e-4, poly decay (power 0.9) to zero, no warm-up, 40k
# iterations at batch 32 (4 images per GPU x 8 GPUs).
# Family configs replace `model.backbone` (with `_delete_=True`) and set
# `model.neck.in_channels` from one `backbone_channels` list.
_base_ = [
    'mmseg::_base_/models/fpn_r50.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py',
]
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

crop_size = (512, 512)
model = dict(
    # EncoderDecoder would copy `pretrained` into the backbone kwargs.
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=150))
train_dataloader = dict(batch_size=4)  # x 8 GPUs = 32

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    # PoolFormer decays every parameter (no paramwise groups).
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=40000,
        by_epoch=False),
]

custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
