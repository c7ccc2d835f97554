# UperNet with a FasterViT-1 backbone on ADE20K (512x512, 160k iterations):
# ./upernet_fastervit_0_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (the FasterViT paper reports UperNet for FasterViT-2/3/4 only).
# Weights: official ImageNet-1K fastervit_1_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './upernet_fastervit_0_ade20k.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_1_224_1k.pth.tar'  # noqa: E501
backbone_channels = [80, 160, 320, 640]  # FasterViT-1 output widths
model = dict(
    backbone=dict(arch='1', init_cfg=dict(checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
