# 1x detection schedule with the transformer optimizer of mmdet's Swin and
# ConvNeXt Mask R-CNN recipes: AdamW lr 1e-4, weight decay 0.05, no weight
# decay on norms, biases and other 1-D parameters (layer scales, gammas).
# mmdet's 12 epochs, 500-iteration linear warm-up, lr x0.1 at epochs 8, 11;
# batch 16 (2 images per GPU x 8 GPUs, the dataset base sets 2).
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, flat_decay_mult=0.0),
    clip_grad=None)
auto_scale_lr = dict(enable=False, base_batch_size=16)
