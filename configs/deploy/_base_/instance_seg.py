# mmdet instance segmentation (Mask R-CNN, Cascade Mask R-CNN): outputs
# dets, labels and 28x28 mask logits per detection; masks are pasted to the
# image outside the graph (export_postprocess_mask=False), as mmdeploy does.
_base_ = ['./onnx_config.py']

onnx_config = dict(output_names=['dets', 'labels', 'masks'])
codebase_config = dict(
    type='mmdet',
    task='ObjectDetection',
    model_type='end2end',
    post_processing=dict(
        score_threshold=0.05,
        confidence_threshold=0.005,
        iou_threshold=0.5,
        max_output_boxes_per_class=200,
        pre_top_k=5000,
        keep_top_k=100,
        background_label_id=-1,
        export_postprocess_mask=False))
