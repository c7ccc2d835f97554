# DINO-4scale (12 epochs) with FasterViT-4-21K on COCO: the published recipe of
# NVlabs/FasterViT downstream/object_detection/dino (see
# ./_base_/dino_4scale_fastervit_12e.py).
# Paper: 55.16 box AP (NVlabs/FasterViT downstream/object_detection/dino/
# README.md); published checkpoint DINO_4scale_faster_vit_4_21k_224_ms_coco.pth
# (Hugging Face ahatamiz/FasterViT), run it with
#   python tools/model_converters/convert_checkpoint.py dino \
#       DINO_4scale_faster_vit_4_21k_224_ms_coco.pth checkpoints/dino.pth
#   python tools/test.py THIS_CONFIG checkpoints/dino.pth
# Recipe: The published recipe and checkpoint (convert it with
# tools/model_converters/convert_checkpoint.py dino). The backbone runs with
# dino_compat=True, the DINO code's conv-stage padding and position
# coordinates, which its weights were trained with. Differs: 80-class heads
# (the official ones have 91 outputs indexed by COCO category id; the converter
# keeps the 80 categories' rows), one box and one class branch per decoder
# layer (the official decoder shares them; equal at conversion, trained apart),
# and mmdet's DINO implementation (its inverse sigmoid clamps at 1e-5, the
# official at 1e-3).
# Weights: official ImageNet-21K FasterViT (NVlabs/FasterViT on Hugging
# Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = [
    './_base_/dino_4scale_fastervit_12e.py',
    './_base_/backbones/fastervit_4_21k.py'
]

backbone_channels = _base_.backbone_channels[1:]  # levels 1-3
model = dict(
    # The published checkpoint's backbone code (see FasterViT dino_compat).
    backbone=dict(_base_.backbone, dino_compat=True, **_base_.dino_backbone),
    neck=dict(in_channels=backbone_channels))
