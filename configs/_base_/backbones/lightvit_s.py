# LightViT-S backbone: ./lightvit_t.py with this variant's
# arch, widths and weights.
_base_ = './lightvit_t.py'

checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_small_80.9.ckpt'  # noqa: E501
backbone_channels = [96, 96, 192, 384]  # LightViT-S output widths
backbone = dict(arch='s', init_cfg=dict(checkpoint=checkpoint_url))
