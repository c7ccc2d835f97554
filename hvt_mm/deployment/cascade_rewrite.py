"""Cascade R-CNN with class-specific box regression in the deployed graph
(registered as an mmdeploy rewriter by
:mod:`hvt_mm.deployment.mmdeploy_support`).

mmdeploy 1.3.1's rewrite of ``CascadeRoIHead.predict_bbox`` decodes every
stage's deltas as if they were class-agnostic, and asserts that they are.
Our Cascade Mask R-CNN recipe (as Swin's and ConvNeXt's in mmdet) regresses
per class: mmdet refines each proposal with the deltas of its best
foreground class (``BBoxHead.regress_by_class``). This rewrite does the
same with a gather over the class axis, so both kinds of cascade deploy
with mmdet's boxes; for class-agnostic stages it computes what mmdeploy's
rewrite computes.
"""
from typing import List, Tuple

import torch
from mmdet.structures.bbox import get_box_tensor


def _refine(head, boxes: torch.Tensor, cls_score: torch.Tensor,
            bbox_pred: torch.Tensor, max_shape) -> torch.Tensor:
    """``boxes (B, N, 4)`` moved by one stage's deltas ``bbox_pred (B, N,
    4)`` or ``(B, N, 4 * classes)``; class-specific heads use the deltas
    of the highest-scoring foreground class, as mmdet does."""
    if not head.reg_class_agnostic:
        if head.custom_activation:
            cls_score = head.loss_cls.get_activation(cls_score)
        label = cls_score[..., :-1].argmax(-1)
        size = head.bbox_coder.encode_size
        deltas = bbox_pred.reshape(*bbox_pred.shape[:2], -1, size)
        index = label[..., None, None].expand(-1, -1, 1, size)
        bbox_pred = deltas.gather(2, index).squeeze(2)
    return get_box_tensor(
        head.bbox_coder.decode(boxes, bbox_pred, max_shape=max_shape))


def cascade_roi_head__predict_bbox__by_class(self,
                                             x: Tuple[torch.Tensor],
                                             batch_img_metas: List[dict],
                                             rpn_results_list: List,
                                             rcnn_test_cfg,
                                             rescale: bool = False,
                                             **kwargs):
    """``(dets, labels)`` of the last stage on stage-averaged class scores,
    with each intermediate stage refining the proposals as mmdet's
    ``CascadeRoIHead.predict_bbox`` does (see the module docstring)."""
    proposals = rpn_results_list[0]  # (B, N, 5): boxes and objectness
    batch, num = proposals.shape[:2]
    image_index = torch.arange(
        batch, device=proposals.device,
        dtype=proposals.dtype).view(-1, 1, 1).expand(batch, num, 1)
    boxes = proposals[..., :4]
    max_shape = batch_img_metas[0]['img_shape']
    stage_scores = []
    for stage in range(self.num_stages):
        rois = torch.cat([image_index, boxes], -1)
        result = self._bbox_forward(stage, x, rois.reshape(-1, 5))
        cls_score = result['cls_score'].reshape(batch, num, -1)
        bbox_pred = result['bbox_pred'].reshape(batch, num, -1)
        stage_scores.append(cls_score)
        if stage < self.num_stages - 1:
            boxes = _refine(self.bbox_head[stage], boxes, cls_score, bbox_pred,
                            max_shape)
    return self.bbox_head[-1].predict_by_feat(
        rois=rois,
        cls_scores=sum(stage_scores) / len(stage_scores),
        bbox_preds=bbox_pred,
        batch_img_metas=batch_img_metas,
        rcnn_test_cfg=rcnn_test_cfg,
        rescale=rescale)


__all__ = ['cascade_roi_head__predict_bbox__by_class']
