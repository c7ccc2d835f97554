# The FasterViT DINO-4scale recipe (NVlabs/FasterViT downstream/
# object_detection/dino/config/DINO/DINO_4scale_faster_vit_*_224.py, on
# IDEA-Research/DINO) on mmdet 3.3's DINO
# (mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py, the same detector). Family
# configs add a FasterViT backbone base and
# `model.backbone=dict(_base_.backbone, **_base_.dino_backbone)`.
#
# As published: backbone levels 1-3 (strides 8/16/32) with BatchNorm output
# norms, drop path 0.1, gradient checkpointing (use_checkpoint), BatchNorms
# trained; input projections 1x1 conv (with bias) + GroupNorm(32) and a 3x3
# stride-2 conv for the fourth level; 6 + 6 layers, 900 queries, two-stage,
# box refinement, 100 denoising queries with label noise 0.5 and box noise
# 0.4, focal loss (alpha 0.25), matching costs 2/5/2; AdamW lr 1e-4,
# backbone lr 1e-5, weight decay 1e-4, gradient clipping 0.1, 12 epochs with
# lr x0.1 after 11, batch 16; DETR-style multi-scale crop augmentation;
# 300 detections per image.
_base_ = ['mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py']
custom_imports = dict(imports=['hvt_mm'], allow_failed_imports=False)

dino_backbone = dict(
    out_indices=(1, 2, 3),
    out_norm_cfg=dict(type='BN'),
    drop_path_rate=0.1,
    with_cp=True,
    norm_eval=False)
model = dict(
    neck=dict(in_channels=[128, 256, 512], bias=True),  # set per variant
    dn_cfg=dict(box_noise_scale=0.4))
custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
