# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN, Cascade
# Mask R-CNN) to ONNX Runtime, dynamic batch and image size. Used with
# tools/deployment/deploy.py.
_base_ = [
    './_base_/instance_seg_dynamic.py', './_base_/backends/onnxruntime.py'
]
