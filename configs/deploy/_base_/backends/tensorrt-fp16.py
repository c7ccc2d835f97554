# TensorRT fp16 (NVIDIA GPU; needs the tensorrt wheel and mmdeploy's
# TensorRT plugin library). The input shapes are set per config.
backend_config = dict(
    type='tensorrt',
    common_config=dict(fp16_mode=True, max_workspace_size=1 << 32))
