# mmdeploy deploy config: a whole mmseg segmentor to OpenVINO (CPU, fp32),
# dynamic batch and image size. Used with tools/deployment/deploy.py.
_base_ = ['./_base_/segmentation_dynamic.py', './_base_/backends/openvino.py']
