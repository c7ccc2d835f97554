# DINO-4scale (12 epochs) with FasterViT-2 on COCO: the published recipe of
# NVlabs/FasterViT downstream/object_detection/dino (see
# ./_base_/dino_4scale_fastervit_12e.py).
# Paper: none (the authors published DINO results for FasterViT-4-21K only).
# Recipe: The published recipe (no checkpoint of it was released). Differs: the
# backbone is hvt_mm's FasterViT as for the classification weights, without the
# DINO code's departures from it (conv stages padded to the window size,
# position coordinates normalised by the token count, carrier tokens reshaped
# without a transpose and a carrier-token bias built for one grid), since no
# released weights depend on them; 80-class heads (the official ones have 91
# outputs indexed by COCO category id; the converter keeps the 80 categories'
# rows), one box and one class branch per decoder layer (the official decoder
# shares them; equal at conversion, trained apart), and mmdet's DINO
# implementation (its inverse sigmoid clamps at 1e-5, the official at 1e-3).
# Weights: official ImageNet-1K FasterViT (NVlabs/FasterViT on Hugging
# Face; NVIDIA non-commercial licence), fetched by URL on first use.
_base_ = [
    './_base_/dino_4scale_fastervit_12e.py',
    './_base_/backbones/fastervit_2.py'
]

backbone_channels = _base_.backbone_channels[1:]  # levels 1-3
model = dict(
    backbone=dict(_base_.backbone, **_base_.dino_backbone),
    neck=dict(in_channels=backbone_channels))
