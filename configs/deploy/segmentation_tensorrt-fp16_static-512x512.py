# mmdeploy deploy config: a whole mmseg segmentor to TensorRT fp16, fixed
# 512x512 input (height x width). Used with tools/deployment/deploy.py.
_base_ = ['./_base_/segmentation.py', './_base_/backends/tensorrt-fp16.py']

onnx_config = dict(input_shape=[512, 512])  # width, height
backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 512, 512],
                opt_shape=[1, 3, 512, 512],
                max_shape=[1, 3, 512, 512])))
])
