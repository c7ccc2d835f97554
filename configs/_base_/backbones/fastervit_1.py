# FasterViT-1 backbone: ./fastervit_0.py with this variant's
# arch, widths and weights.
_base_ = './fastervit_0.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_1_224_1k.pth.tar'  # noqa: E501
backbone_channels = [80, 160, 320, 640]  # FasterViT-1 output widths
backbone = dict(arch='1', init_cfg=dict(checkpoint=checkpoint_url))
seg_backbone = dict(backbone)  # the same overrides
