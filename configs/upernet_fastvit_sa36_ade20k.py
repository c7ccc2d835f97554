# UperNet with a FastViT-SA36 backbone on ADE20K (512x512, 160k iterations):
# ./upernet_fastvit_sa12_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (the FastViT paper uses Semantic FPN: see
# fpn_fastvit_*_ade20k.py).
# Weights: official ImageNet-1K fastvit_sa36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = './upernet_fastvit_sa12_ade20k.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa36.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA36 output widths
model = dict(
    backbone=dict(
        arch='sa36',
        drop_path_rate=0.2,  # ImageNet recipe (apple/ml-fastvit README)
        init_cfg=dict(checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
