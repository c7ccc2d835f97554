# ONNX Runtime (CPU or CUDA), with mmdeploy's custom-op library (RoIAlign).
backend_config = dict(type='onnxruntime')
