# EfficientViT-L1 backbone: ./efficientvit_b1.py with this variant's
# arch, widths, drop path and weights.
_base_ = './efficientvit_b1.py'

checkpoint_url = 'https://huggingface.co/han-cai/efficientvit-cls/resolve/main/efficientvit_l1_r224.pt'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # EfficientViT-L1 output widths
backbone = dict(
    arch='l1',
    drop_path_rate=0.1,  # official ImageNet recipe
    init_cfg=dict(checkpoint=checkpoint_url))
seg_backbone = dict(backbone)  # the same overrides
native_seg_backbone = dict(backbone)
