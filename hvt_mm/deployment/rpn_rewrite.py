"""mmdet's RPN post-processing in the deployed graph (registered as an
mmdeploy rewriter by :mod:`hvt_mm.deployment.mmdeploy_support`).

mmdeploy 1.3.1 rewrites ``RPNHead.predict_by_feat`` with one NMS over the
proposals of all pyramid levels together, a 0.05 score threshold and no
size filter. mmdet runs one NMS per level (``batched_nms`` by level id),
keeps every score and drops boxes not larger than ``min_bbox_size``; with
mmdeploy's version 3-20 % of a detector's boxes changed. This rewrite gives
mmdet's result with mmdeploy's own ``multiclass_nms``: the levels are its
classes (each proposal scores only in its level's column, -1 elsewhere, so
per-class NMS is per-level NMS), the score threshold is 0 and a box that
fails the size filter scores -1.
"""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmdeploy.codebase.mmdet.deploy import pad_with_value_if_necessary
from mmdeploy.mmcv.ops import multiclass_nms

#: Score of a proposal in the NMS columns of the other levels (and of a
#: padded or filtered-out one): below the threshold of 0.
ABSENT = -1.0


def _level_proposals(head, score: torch.Tensor, delta: torch.Tensor,
                     priors: torch.Tensor, nms_pre: int):
    """One level's top ``nms_pre`` objectness scores ``(B, k)``, box deltas
    ``(B, k, 4)`` and priors ``(B, k, 4)``."""
    batch = score.shape[0]
    score = score.permute(0, 2, 3, 1)
    if head.use_sigmoid_cls:
        score = score.reshape(batch, -1).sigmoid()
    else:  # two channels per anchor: foreground first
        score = score.reshape(batch, -1, 2).softmax(-1)[..., 0]
    delta = delta.permute(0, 2, 3, 1).reshape(batch, -1,
                                              head.bbox_coder.encode_size)
    priors = priors.unsqueeze(0).expand(batch, -1, -1)
    if nms_pre > 0:
        # topk needs at least nms_pre entries: pad with absent proposals.
        score = pad_with_value_if_necessary(score, 1, nms_pre, ABSENT)
        delta = pad_with_value_if_necessary(delta, 1, nms_pre, 0.)
        priors = pad_with_value_if_necessary(priors, 1, nms_pre, 0.)
        score, index = score.topk(nms_pre, dim=1)
        delta = delta.gather(1, index[...,
                                      None].expand(-1, -1, delta.shape[-1]))
        priors = priors.gather(1, index[..., None].expand(-1, -1, 4))
    return score, delta, priors


def rpn_head__predict_by_feat__per_level_nms(
        self,
        cls_scores: List[torch.Tensor],
        bbox_preds: List[torch.Tensor],
        score_factors: Optional[List[torch.Tensor]] = None,
        batch_img_metas: Optional[List[dict]] = None,
        cfg=None,
        rescale: bool = False,
        with_nms: bool = True,
        **kwargs):
    """Proposals ``(dets (B, N, 5), level ids (B, N))`` as mmdet's
    ``RPNHead`` computes them (see the module docstring)."""
    cfg = self.test_cfg if cfg is None else cfg
    num_levels = len(cls_scores)
    priors = self.prior_generator.grid_priors(
        [s.shape[-2:] for s in cls_scores], device=cls_scores[0].device)
    scores, deltas, anchors, columns = [], [], [], []
    for level in range(num_levels):
        score, delta, prior = _level_proposals(self, cls_scores[level],
                                               bbox_preds[level],
                                               priors[level],
                                               cfg.get('nms_pre', -1))
        onehot = F.one_hot(torch.tensor(level),
                           num_levels).to(score.dtype).to(score.device)
        # score in this level's column, ABSENT (-1) in the others.
        columns.append(score[..., None] * onehot + (onehot - 1))
        scores.append(score)
        deltas.append(delta)
        anchors.append(prior)
    boxes = self.bbox_coder.decode(
        torch.cat(anchors, 1),
        torch.cat(deltas, 1),
        max_shape=batch_img_metas[0]['img_shape'])
    columns = torch.cat(columns, 1)
    min_size = cfg.get('min_bbox_size', -1)
    if min_size >= 0:
        valid = ((boxes[..., 2] - boxes[..., 0] > min_size) &
                 (boxes[..., 3] - boxes[..., 1] > min_size))
        columns = torch.where(valid[..., None], columns,
                              torch.full_like(columns, ABSENT))
    if not with_nms:
        return boxes, columns.amax(-1, keepdim=True)
    return multiclass_nms(
        boxes,
        columns,
        cfg.max_per_img,
        nms_type=cfg.nms.get('type'),
        iou_threshold=cfg.nms.iou_threshold,
        score_threshold=0.0,
        pre_top_k=-1,
        keep_top_k=cfg.max_per_img)


__all__ = ['rpn_head__predict_by_feat__per_level_nms']
