# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN, Cascade
# Mask R-CNN) to ONNX Runtime, fixed 800x1344 input (height x width). Used with
# tools/deployment/deploy.py.
_base_ = ['./_base_/instance_seg.py', './_base_/backends/onnxruntime.py']

onnx_config = dict(input_shape=[1344, 800])  # width, height
