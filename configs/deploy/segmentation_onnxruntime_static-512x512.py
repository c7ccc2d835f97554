# mmdeploy deploy config: a whole mmseg segmentor (UperNet, Semantic FPN,
# EfficientViTHead) to ONNX Runtime, fixed 512x512 input, label map output.
# Used with tools/deployment/deploy.py (mmdeploy's wheel ships no configs).
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=17,  # SDPA (FasterViT, LightViT, FastViT) needs >= 14
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['output'],
    input_shape=[512, 512],  # width, height
    optimize=True)
codebase_config = dict(type='mmseg', task='Segmentation', with_argmax=True)
backend_config = dict(type='onnxruntime')
