# mmdeploy deploy config: a whole mmseg segmentor (UperNet, Semantic FPN,
# EfficientViTHead), label map output,
# to OpenVINO (CPU, fp32), dynamic batch and image size.
# FasterViT and LightViT export with fixed sizes only (docs/deployment.md):
# use a static config for them.
_base_ = [
    './_base_/onnx_config.py', './_base_/segmentation.py',
    './_base_/backends/openvino.py'
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
