# FastViT-MA36 backbone: ./fastvit_sa12.py with this variant's
# arch, widths, drop path and weights.
_base_ = './fastvit_sa12.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_ma36.pth.tar'  # noqa: E501
backbone_channels = [76, 152, 304, 608]  # FastViT-MA36 output widths
backbone = dict(
    arch='ma36',
    drop_path_rate=0.35,  # ImageNet recipe (apple/ml-fastvit README)
    init_cfg=dict(checkpoint=checkpoint_url))
