# OpenVINO on the CPU through hvt_mm.deployment.openvino_backend (mmdeploy
# 1.3.1's own OpenVINO backend needs the removed Model Optimizer).
# precision: 'fp32' or 'bf16' (OpenVINO's INFERENCE_PRECISION_HINT; bf16
# needs AVX-512 BF16 or AMX, elsewhere OpenVINO keeps fp32).
backend_config = dict(type='openvino', precision='fp32')
