# mmdeploy deploy config: a whole mmdet instance segmentor (Mask R-CNN,
# Cascade Mask R-CNN) to ONNX Runtime with NMS, RoIAlign and masks in the
# graph, fixed 800x1344 input (width 1344, height 800).
# Used with tools/deployment/deploy.py (mmdeploy's wheel ships no configs).
_base_ = ['./_base_/onnxruntime.py']

onnx_config = dict(
    output_names=['dets', 'labels', 'masks'],
    input_shape=[1344, 800])  # width, height
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
