# mmdeploy deploy config: a whole mmseg segmentor (UperNet, Semantic FPN,
# EfficientViTHead), label map output,
# to OpenVINO (CPU, fp32), fixed 512x512 input (height x width).
# Used with tools/deployment/deploy.py (mmdeploy's wheel ships no configs).
_base_ = [
    './_base_/onnx_config.py', './_base_/segmentation.py',
    './_base_/backends/openvino.py'
]

onnx_config = dict(input_shape=[512, 512])
