# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN, Cascade
# Mask R-CNN) to TensorRT fp16, fixed 800x1344 input (height x width). Used
# with tools/deployment/deploy.py.
_base_ = ['./_base_/instance_seg.py', './_base_/backends/tensorrt-fp16.py']

onnx_config = dict(input_shape=[1344, 800])  # width, height
backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 800, 1344],
                opt_shape=[1, 3, 800, 1344],
                max_shape=[1, 3, 800, 1344])))
])
