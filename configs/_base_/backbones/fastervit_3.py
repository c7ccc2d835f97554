# FasterViT-3 backbone: ./fastervit_0.py with this variant's
# arch, widths, drop path and weights.
_base_ = './fastervit_0.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_3_224_1k.pth.tar'  # noqa: E501
backbone_channels = [128, 256, 512, 1024]  # FasterViT-3 output widths
backbone = dict(
    arch='3',
    drop_path_rate=0.3,  # as Swin-S/B detection
    init_cfg=dict(checkpoint=checkpoint_url))
seg_backbone = dict(backbone)  # the same overrides
