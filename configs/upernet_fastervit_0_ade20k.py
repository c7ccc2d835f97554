# UperNet with a FasterViT-0 backbone on ADE20K (512x512, 160k iterations).
# Paper: none (the FasterViT paper reports UperNet for FasterViT-2/3/4 only).
# Weights: official ImageNet-1K fastervit_0_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './_base_/upernet_ade20k.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_0_224_1k.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FasterViT-0 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FasterViT',
        arch='0',
        drop_path_rate=0.3,  # as mmseg's Swin UperNet recipes
        # The stem and conv stages use BatchNorm; with 2 images per GPU keep
        # their pretrained statistics (norm_eval only affects BN layers).
        norm_eval=True,
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
