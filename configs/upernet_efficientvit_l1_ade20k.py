# UperNet with an EfficientViT-L1 backbone on ADE20K (512x512, 160k
# iterations): ./upernet_efficientvit_b1_ade20k.py with this variant's arch,
# widths, drop path and weights.
# Paper: none (the EfficientViT paper uses its own head: see
# efficientvit_seg_*_ade20k.py).
# Weights: official ImageNet-1K efficientvit_l1_r224.pt
# (mit-han-lab/efficientvit, han-cai/efficientvit-cls on Hugging Face;
# Apache-2.0), fetched by URL on first use.
_base_ = './upernet_efficientvit_b1_ade20k.py'

checkpoint_url = 'https://huggingface.co/han-cai/efficientvit-cls/resolve/main/efficientvit_l1_r224.pt'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # EfficientViT-L1 output widths
model = dict(
    backbone=dict(
        arch='l1',
        drop_path_rate=0.1,  # official ImageNet recipe
        init_cfg=dict(checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
