"""Deployment: ONNX export (tools/deployment/pytorch2onnx.py).

Imported on demand (not by ``import hvt_mm``); needs the ``[export]`` extra
(onnx, onnxruntime, onnxscript) only when exporting or checking a file.
"""
