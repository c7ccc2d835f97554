# UperNet with a FasterViT-3 backbone on ADE20K (512x512, 160k iterations):
# ./upernet_fastervit_0_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: 48.7 mIoU single-scale (FasterViT paper, ADE20K table; transcribed by
# secondary sources, UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastervit_3_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './upernet_fastervit_0_ade20k.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_3_224_1k.pth.tar'  # noqa: E501
backbone_channels = [128, 256, 512, 1024]  # FasterViT-3 output widths
model = dict(
    backbone=dict(arch='3', init_cfg=dict(checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
