# mmdeploy deploy config: a whole mmseg segmentor to ONNX Runtime, fixed
# 512x512 input (height x width). Used with tools/deployment/deploy.py.
_base_ = ['./_base_/segmentation.py', './_base_/backends/onnxruntime.py']

onnx_config = dict(input_shape=[512, 512])  # width, height
