# As instance-seg_openvino_dynamic.py, in bfloat16 (OpenVINO's
# INFERENCE_PRECISION_HINT; needs AVX-512 BF16 or AMX, else fp32).
_base_ = ['./instance-seg_openvino_dynamic.py']

backend_config = dict(precision='bf16')
