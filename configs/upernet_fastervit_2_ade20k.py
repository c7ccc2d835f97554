# UperNet with a FasterViT-2 backbone on ADE20K (512x512, 160k iterations).
# Paper: 47.2 mIoU single-scale (AdamW 6e-5, wd 0.01, batch 16; schedule not
# stated).
# Weights: fastervit_2_224_1k.pth.tar from huggingface.co/ahatamiz/FasterViT
# (NVIDIA non-commercial licence); load it as is or after
#   python tools/model_converters/convert_checkpoint.py fastervit IN OUT
_base_ = './_base_/upernet_ade20k.py'

backbone_channels = [96, 192, 384, 768]  # FasterViT-2 stage widths
model = dict(
    backbone=dict(
        _delete_=True,
        type='hvt_mm.FasterViT',
        arch='2',
        drop_path_rate=0.3,  # as mmseg's Swin UperNet recipes
        # The stem and conv stages use BatchNorm; small per-GPU batches, so
        # keep their pretrained statistics (only BN layers are affected).
        norm_eval=True,
        out_norm_cfg=dict(type='LN2d'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/fastervit_2_224_1k.pth.tar')),
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
