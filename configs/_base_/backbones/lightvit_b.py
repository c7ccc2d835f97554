# LightViT-B backbone: ./lightvit_t.py with this variant's
# arch, widths and weights.
_base_ = './lightvit_t.py'

checkpoint_url = 'https://github.com/hunto/LightViT/releases/download/v0.0.1/lightvit_base_82.1.ckpt'  # noqa: E501
backbone_channels = [128, 128, 256, 512]  # LightViT-B output widths
backbone = dict(arch='b', init_cfg=dict(checkpoint=checkpoint_url))
