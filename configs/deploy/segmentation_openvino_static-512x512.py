# mmdeploy deploy config: a whole mmseg segmentor to OpenVINO (CPU, fp32),
# fixed 512x512 input (height x width). Used with tools/deployment/deploy.py.
_base_ = ['./_base_/segmentation.py', './_base_/backends/openvino.py']

onnx_config = dict(input_shape=[512, 512])  # width, height
