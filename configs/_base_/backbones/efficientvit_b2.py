# EfficientViT-B2 backbone: ./efficientvit_b1.py with this variant's
# arch, widths and weights.
_base_ = './efficientvit_b1.py'

checkpoint_url = 'https://huggingface.co/han-cai/efficientvit-cls/resolve/main/efficientvit_b2_r224.pt'  # noqa: E501
backbone_channels = [48, 96, 192, 384]  # EfficientViT-B2 output widths
backbone = dict(arch='b2', init_cfg=dict(checkpoint=checkpoint_url))
seg_backbone = dict(backbone)  # the same overrides
native_seg_backbone = dict(backbone)
