# mmseg segmentors (UperNet, Semantic FPN, EfficientViTHead): the label map
# (argmax in the graph).
codebase_config = dict(type='mmseg', task='Segmentation', with_argmax=True)
