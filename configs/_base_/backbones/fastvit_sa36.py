# FastViT-SA36 backbone: ./fastvit_sa12.py with this variant's
# arch, widths, drop path and weights.
_base_ = './fastvit_sa12.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa36.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA36 output widths
backbone = dict(
    arch='sa36',
    drop_path_rate=0.2,  # ImageNet recipe (apple/ml-fastvit README)
    init_cfg=dict(checkpoint=checkpoint_url))
