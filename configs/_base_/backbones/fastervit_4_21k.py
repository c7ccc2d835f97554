# FasterViT-4-21K (224, window 14) backbone: ./fastervit_0.py with this
# variant's arch, widths, drop path and ImageNet-21K weights (the backbone of
# the published FasterViT DINO detector).
_base_ = './fastervit_0.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_4_21k_224_w14.pth.tar'  # noqa: E501
backbone_channels = [196, 392, 784, 1568]  # FasterViT-4-21K output widths
backbone = dict(
    arch='4_21k_224',
    drop_path_rate=0.3,  # as Swin-S/B detection
    init_cfg=dict(checkpoint=checkpoint_url))
seg_backbone = dict(backbone)  # the same overrides
