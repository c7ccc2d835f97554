# mmdeploy deploy config: a whole mmseg segmentor to TensorRT fp16, dynamic
# batch and image size. Used with tools/deployment/deploy.py.
_base_ = [
    './_base_/segmentation_dynamic.py', './_base_/backends/tensorrt-fp16.py'
]

backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 512, 512],
                opt_shape=[1, 3, 512, 1024],
                max_shape=[1, 3, 2048, 2048])))
])
