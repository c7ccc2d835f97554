# What every hvt_mm deploy config shares: the ONNX export (every backend
# here starts from it).
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=17,  # SDPA (FasterViT, LightViT, FastViT) needs >= 14
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['output'],
    input_shape=None,  # width, height (None: dynamic)
    optimize=True)
