# mmseg segmentors (UperNet, Semantic FPN, EfficientViTHead): the graph
# returns class logits at the input size, post-processed as mmseg does
# (bilinear resize to the original image, then argmax) by hvt_mm's
# 'mmseg_postprocess' backend model (hvt_mm/deployment/seg_backend_model.py).
# For a label map from the graph (smaller output; mmdeploy resizes it with
# nearest-neighbour sampling, which moves boundary pixels) set
# with_argmax=True and delete model_type.
_base_ = ['./onnx_config.py']

codebase_config = dict(
    type='mmseg',
    task='Segmentation',
    with_argmax=False,
    model_type='mmseg_postprocess')
