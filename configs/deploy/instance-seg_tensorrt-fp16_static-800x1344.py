# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN,
# Cascade Mask R-CNN) with NMS, RoIAlign and masks in the graph,
# to TensorRT fp16, fixed 800x1344 input (height x width).
# Used with tools/deployment/deploy.py (mmdeploy's wheel ships no configs).
_base_ = [
    './_base_/onnx_config.py', './_base_/instance_seg.py',
    './_base_/backends/tensorrt-fp16.py'
]

onnx_config = dict(
    output_names=['dets', 'labels', 'masks'], input_shape=[1344, 800])
backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 800, 1344],
                opt_shape=[1, 3, 800, 1344],
                max_shape=[1, 3, 800, 1344])))
])
