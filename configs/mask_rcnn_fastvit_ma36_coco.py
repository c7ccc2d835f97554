# Mask R-CNN 1x with a FastViT-MA36 backbone on COCO:
# ./mask_rcnn_fastvit_sa12_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: 45.1 box AP / 40.5 mask AP (FastViT paper Table 9; UNVERIFIED: not
# confirmed from any source).
# Weights: official ImageNet-1K fastvit_ma36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = './mask_rcnn_fastvit_sa12_coco.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_ma36.pth.tar'  # noqa: E501
backbone_channels = [76, 152, 304, 608]  # FastViT-MA36 output widths
model = dict(
    backbone=dict(
        arch='ma36',
        drop_path_rate=0.35,  # ImageNet recipe (apple/ml-fastvit README)
        init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
