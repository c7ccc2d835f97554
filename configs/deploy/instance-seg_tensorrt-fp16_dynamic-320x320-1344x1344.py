# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN,
# Cascade Mask R-CNN) with NMS, RoIAlign and masks in the graph,
# to TensorRT fp16, dynamic batch and image size (320x320 to 1344x1344).
# FasterViT and LightViT export with fixed sizes only (docs/deployment.md):
# use a static config for them.
_base_ = [
    './_base_/onnx_config.py', './_base_/instance_seg.py',
    './_base_/backends/tensorrt-fp16.py'
]

onnx_config = dict(
    output_names=['dets', 'labels', 'masks'],
    dynamic_axes=dict(
        input={
            0: 'batch',
            2: 'height',
            3: 'width'
        },
        dets={
            0: 'batch',
            1: 'num_dets'
        },
        labels={
            0: 'batch',
            1: 'num_dets'
        },
        masks={
            0: 'batch',
            1: 'num_dets',
            2: 'height',
            3: 'width'
        }))
backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 320, 320],
                opt_shape=[1, 3, 800, 1344],
                max_shape=[1, 3, 1344, 1344])))
])
