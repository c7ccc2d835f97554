# FastViT-SA24 backbone: ./fastvit_sa12.py with this variant's
# arch, widths and weights.
_base_ = './fastvit_sa12.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa24.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA24 output widths
backbone = dict(arch='sa24', init_cfg=dict(checkpoint=checkpoint_url))
