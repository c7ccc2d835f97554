# UperNet with a FasterViT-2 backbone on Cityscapes (512x1024 crops, 80k
# iterations).
# Paper: none (the FasterViT paper has no Cityscapes results).
# Weights: official ImageNet-1K fastervit_2_224_1k.pth.tar (NVlabs/FasterViT on
# Hugging Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = './_base_/upernet_cityscapes.py'

checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_2_224_1k.pth.tar'  # noqa: E501
backbone_channels = [96, 192, 384, 768]  # FasterViT-2 output widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FasterViT',
        arch='2',
        drop_path_rate=0.3,  # as mmseg's Swin UperNet recipes
        # The stem and conv stages use BatchNorm; with 2 images per GPU keep
        # their pretrained statistics (norm_eval only affects BN layers).
        norm_eval=True,
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url)),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
