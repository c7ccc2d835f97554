# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN, Cascade
# Mask R-CNN) to TensorRT fp16, dynamic batch and image size. Used with
# tools/deployment/deploy.py.
_base_ = [
    './_base_/instance_seg_dynamic.py', './_base_/backends/tensorrt-fp16.py'
]

backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 320, 320],
                opt_shape=[1, 3, 800, 1344],
                max_shape=[1, 3, 1344, 1344])))
])
