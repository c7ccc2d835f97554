# mmdeploy deploy config: a whole mmseg segmentor (UperNet, Semantic FPN,
# EfficientViTHead) to ONNX Runtime, fixed 512x512 input, label map output.
# Used with tools/deployment/deploy.py (mmdeploy's wheel ships no configs).
_base_ = ['./_base_/onnxruntime.py']

onnx_config = dict(input_shape=[512, 512])  # width, height
codebase_config = dict(type='mmseg', task='Segmentation', with_argmax=True)
