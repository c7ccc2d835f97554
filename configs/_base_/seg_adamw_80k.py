# ./seg_adamw_160k.py (AdamW 6e-5, wd 0.01, warm-up + poly) over 80k
# iterations, the length of mmseg's Cityscapes schedules; validation and
# checkpoints every 8k as in mmseg's schedule_80k.
_base_ = './seg_adamw_160k.py'

max_iters = 80000
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        begin=1500,
        end=max_iters,
        by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
