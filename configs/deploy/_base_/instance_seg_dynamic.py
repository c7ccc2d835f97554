# Instance segmentation with any batch and image size (multiples of 32, as
# the data preprocessor pads). FasterViT and LightViT export with fixed
# sizes only (docs/deployment.md): use a static config for them.
_base_ = ['./instance_seg.py']

onnx_config = dict(
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
