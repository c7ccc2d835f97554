# mmdeploy deploy config: a whole mmseg segmentor to ONNX Runtime, dynamic
# batch and image size. Used with tools/deployment/deploy.py.
_base_ = [
    './_base_/segmentation_dynamic.py', './_base_/backends/onnxruntime.py'
]
