# Segmentation with any batch and image size. FasterViT and LightViT export
# with fixed sizes only (docs/deployment.md): use a static config for them.
_base_ = ['./segmentation.py']

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
