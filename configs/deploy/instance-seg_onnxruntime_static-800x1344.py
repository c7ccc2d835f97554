# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN,
# Cascade Mask R-CNN) with NMS, RoIAlign and masks in the graph,
# to ONNX Runtime, fixed 800x1344 input (height x width).
# Used with tools/deployment/deploy.py (mmdeploy's wheel ships no configs).
_base_ = [
    './_base_/onnx_config.py', './_base_/instance_seg.py',
    './_base_/backends/onnxruntime.py'
]

onnx_config = dict(
    output_names=['dets', 'labels', 'masks'], input_shape=[1344, 800])
