"""mmdet's R-CNN box post-processing in the deployed graph (registered as an
mmdeploy rewriter by :mod:`hvt_mm.deployment.mmdeploy_support`).

With class-specific box regression (mmdet's default for Mask R-CNN and our
cascade recipe), mmdet's ``BBoxHead.predict_by_feat`` gives every class of a
proposal that class's own decoded box and runs one NMS per class.
mmdeploy 1.3.1's rewrite keeps only the box of the proposal's best class
and gives it to all classes, so the detections of the other classes sit at
the wrong place. This rewrite keeps each class's box: the ``(proposal,
class)`` pairs go through mmdeploy's single-class ``multiclass_nms`` with
each class's boxes shifted by ``class * (largest coordinate + 1)``, so that
boxes of different classes never overlap (the trick of mmdet's
``batched_nms``); the kept pairs' indices give the label and the unshifted
box. Class-agnostic heads take mmdeploy's path unchanged.
"""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmdeploy.codebase.mmdet.deploy import get_post_processing_params
from mmdeploy.core import FUNCTION_REWRITER
from mmdeploy.mmcv.ops import multiclass_nms
from mmdet.structures.bbox import get_box_tensor


def _clip(boxes: torch.Tensor, img_shape) -> torch.Tensor:
    height, width = img_shape[:2]
    bound = boxes.new_tensor([width, height, width, height])
    return torch.minimum(boxes.clamp(min=0), bound)


def _per_class_nms(boxes: torch.Tensor, scores: torch.Tensor, **nms_args):
    """``(dets, labels)`` of one NMS per class for ``boxes (B, N, C, 4)``
    and ``scores (B, N, C)`` (see the module docstring)."""
    batch, _, num_classes = scores.shape
    boxes = boxes.reshape(batch, -1, 4)
    span = boxes.detach().max().clamp(min=0) + 1
    shift = torch.arange(
        num_classes, device=boxes.device,
        dtype=boxes.dtype).repeat(boxes.shape[1] // num_classes)
    dets, labels, index = multiclass_nms(
        boxes + shift[:, None] * span,
        scores.reshape(batch, -1, 1),
        output_index=True,
        **nms_args)
    kept = index >= 0  # the last row is padding
    index = index.clamp(min=0)
    # the unshifted boxes: shifting back would cost float precision
    kept_boxes = boxes.gather(1, index[..., None].expand(-1, -1, 4))
    dets = torch.cat(
        [kept_boxes * kept[..., None].to(boxes.dtype), dets[..., 4:]], -1)
    # rows of other images in batched exports keep their label -1
    labels = torch.where(labels < 0, labels, index % num_classes)
    return dets, labels


def bbox_head__predict_by_feat__per_class_boxes(
        self,
        rois: torch.Tensor,
        cls_scores: torch.Tensor,
        bbox_preds: Optional[torch.Tensor],
        batch_img_metas: List[dict],
        rcnn_test_cfg=None,
        rescale: bool = False):
    """``(dets (B, K, 5), labels (B, K))`` for ``rois (B, N, 5)`` as mmdet's
    ``BBoxHead.predict_by_feat`` computes them (see the module
    docstring)."""
    ctx = FUNCTION_REWRITER.get_context()
    img_shape = batch_img_metas[0]['img_shape']
    if self.custom_cls_channels:
        scores = self.loss_cls.get_activation(cls_scores)
    else:
        scores = F.softmax(cls_scores, dim=-1)
    scores = scores[..., :self.num_classes]  # background dropped
    if bbox_preds is None:
        boxes = _clip(rois[..., 1:], img_shape)
    else:
        boxes = get_box_tensor(
            self.bbox_coder.decode(
                rois[..., 1:], bbox_preds, max_shape=img_shape))
    params = get_post_processing_params(ctx.cfg)
    keep_top_k = rcnn_test_cfg.get('max_per_img', params.keep_top_k)
    candidates = boxes.shape[1] if self.reg_class_agnostic else (
        boxes.shape[1] * self.num_classes)
    nms_args = dict(
        max_output_boxes_per_class=max(params.max_output_boxes_per_class,
                                       keep_top_k),
        nms_type=rcnn_test_cfg.nms.get('type'),
        iou_threshold=rcnn_test_cfg.nms.get('iou_threshold',
                                            params.iou_threshold),
        score_threshold=rcnn_test_cfg.get('score_thr', params.score_threshold),
        # at most all candidates (topk's limit); always positive, so that
        # multiclass_nms's output_index counts candidates
        pre_top_k=min(params.pre_top_k, candidates)
        if params.pre_top_k > 0 else candidates,
        keep_top_k=keep_top_k)
    if self.reg_class_agnostic or bbox_preds is None:
        return multiclass_nms(boxes, scores, **nms_args)
    boxes = boxes.reshape(*boxes.shape[:2], self.num_classes, 4)
    return _per_class_nms(boxes, scores, **nms_args)


__all__ = ['bbox_head__predict_by_feat__per_class_boxes']
