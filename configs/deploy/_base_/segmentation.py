# mmseg segmentors (UperNet, Semantic FPN, EfficientViTHead): the label map
# (argmax in the graph).
_base_ = ['./onnx_config.py']

codebase_config = dict(type='mmseg', task='Segmentation', with_argmax=True)
