# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN,
# Cascade Mask R-CNN) with NMS, RoIAlign and masks in the graph,
# to ONNX Runtime, dynamic batch and image size.
# FasterViT and LightViT export with fixed sizes only (docs/deployment.md):
# use a static config for them.
_base_ = [
    './_base_/onnx_config.py', './_base_/instance_seg.py',
    './_base_/backends/onnxruntime.py'
]

onnx_config = dict(
    output_names=['dets', 'labels', 'masks'],
    dynamic_axes=dict(
        input={
            0: 'batch',
            2: 'height',
            3: 'width'
        },
        dets={
            0: 'batch',
            1: 'num_dets'
        },
        labels={
            0: 'batch',
            1: 'num_dets'
        },
        masks={
            0: 'batch',
            1: 'num_dets',
            2: 'height',
            3: 'width'
        }))
