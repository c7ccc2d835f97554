# What every hvt_mm deploy config shares: ONNX export for ONNX Runtime.
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=17,  # SDPA (FasterViT, LightViT, FastViT) needs >= 14
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['output'],
    input_shape=None,
    optimize=True)
backend_config = dict(type='onnxruntime')
