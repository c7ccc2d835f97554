# Semantic FPN with a FastViT-SA12 backbone on ADE20K (512x512, 40k iterations,
# batch 32).
# Paper: 38.0 mIoU (FastViT paper Table 10, as listed by the PapersWithCode
# ADE20K leaderboard and iFormer; UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastvit_sa12.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
# Fused (reparameterized) inference: tools/model_converters/reparameterize.py
# THIS_CONFIG CKPT OUT, then model.backbone.deploy=True
# (docs/backbones/fastvit.md).
_base_ = './_base_/fpn_ade20k.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa12.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA12 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FastViT',
        arch='sa12',
        drop_path_rate=0.1,  # ImageNet recipe (apple/ml-fastvit README)
        # Every FastViT norm is BatchNorm; small per-GPU batches, so keep the
        # pretrained statistics frozen (norm_eval only affects BN layers).
        norm_eval=True,
        # New output norms: LayerNorm learns without batch statistics.
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
