# mmdeploy deploy config: a whole mmseg segmentor (UperNet, Semantic FPN,
# EfficientViTHead), label map output,
# to TensorRT fp16, dynamic batch and image size (512x512 to 2048x2048).
# FasterViT and LightViT export with fixed sizes only (docs/deployment.md):
# use a static config for them.
_base_ = [
    './_base_/onnx_config.py', './_base_/segmentation.py',
    './_base_/backends/tensorrt-fp16.py'
]

onnx_config = dict(
    dynamic_axes=dict(
        input={
            0: 'batch',
            2: 'height',
            3: 'width'
        },
        output={
            0: 'batch',
            2: 'height',
            3: 'width'
        }))
backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 512, 512],
                opt_shape=[1, 3, 512, 1024],
                max_shape=[1, 3, 2048, 2048])))
])
