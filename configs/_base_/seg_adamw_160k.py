# mmseg's Swin UperNet optimisation: AdamW lr 6e-5, weight decay 0.01 (none
# on norms, biases and other 1-D parameters), 1500-iteration linear warm-up,
# then poly decay (power 1.0) to zero at 160k iterations; batch 16 (dataset
# configs set 2 images per GPU for 8 GPUs). The FasterViT paper states the
# same optimizer for its UperNet results (schedule length not stated).
_base_ = 'mmseg::_base_/schedules/schedule_160k.py'

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
