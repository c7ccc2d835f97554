# FasterViT-0 backbone (NVlabs/FasterViT) of the mask_rcnn_*, cascade_*
# and upernet_* configs: official ImageNet-1K weights, output widths and
# the backbone dicts (`backbone`: detection, `seg_backbone`: segmentation).
# Each larger variant's file inherits this one.
checkpoint_url = 'https://huggingface.co/ahatamiz/FasterViT/resolve/main/fastervit_0_224_1k.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FasterViT-0 output widths
backbone = dict(
    _delete_=True,
    type='hvt_mm.FasterViT',
    arch='0',
    drop_path_rate=0.2,  # ImageNet rate; Swin-T detection uses 0.2
    # The stem and conv stages use BatchNorm; with 2 images per GPU keep
    # their pretrained statistics (norm_eval only affects BN layers).
    norm_eval=True,
    out_norm_cfg=dict(type='LN2d'),
    init_cfg=dict(type='Pretrained', checkpoint=checkpoint_url))
seg_backbone = dict(
    backbone, drop_path_rate=0.3)  # as mmseg's Swin UperNet recipes
