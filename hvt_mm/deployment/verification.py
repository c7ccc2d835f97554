"""Deployed models checked against PyTorch: per prediction and by the task
metric (mAP / mIoU) on a whole test set, with both models' img/s.

Both models are built by mmdeploy's task processor (``build_pytorch_model``
calls ``switch_to_deploy`` before ``eval``, as a deployment does) and see
the same preprocessed batches. For a static-shape deploy config the test
pipeline resizes every image to that shape (``keep_ratio=False``), for both.
"""
import copy
import statistics
import time
from typing import Dict, List, Optional, Sequence

import torch

from ..engine.timing import synchronize

#: A PyTorch box counts as reproduced when a deployed box of its label
#: overlaps it by more than this IoU.
BOX_MATCH_IOU = 0.99


def compare_predictions(reference, deployed) -> dict:
    """How far a deployed prediction is from PyTorch's, for one image.

    Segmentation: ``pixel_agreement`` of the label maps. Detection: the
    numbers of boxes; ``matched``, how many PyTorch boxes have a deployed
    box of their label with IoU > :data:`BOX_MATCH_IOU` (each against its
    best one: score order is unstable between near-equal scores); the
    smallest such best IoU and, over the matched pairs, the largest score
    difference and, with masks, the smallest and mean mask IoU (two empty
    masks agree).
    """
    if hasattr(reference, 'pred_sem_seg'):
        ours, theirs = (s.pred_sem_seg.data for s in (reference, deployed))
        return dict(pixel_agreement=(ours == theirs).float().mean().item())
    from mmdet.structures.bbox import bbox_overlaps
    ref, dep = reference.pred_instances, deployed.pred_instances
    result = dict(boxes=len(ref), deployed_boxes=len(dep), matched=0)
    if not (len(ref) and len(dep)):
        return result
    ious = bbox_overlaps(ref.bboxes, dep.bboxes)
    ious = ious * (ref.labels[:, None] == dep.labels[None, :])
    best, index = ious.max(1)
    matched = best > BOX_MATCH_IOU
    result.update(matched=int(matched.sum()), min_box_iou=best.min().item())
    if not matched.any():
        return result
    result['max_score_diff'] = (ref.scores[matched] -
                                dep.scores[index[matched]]).abs().max().item()
    # Mask IoUs of small, low-contrast masks (random weights) swing with any
    # rounding at the 0.5 threshold; the mean says more than the minimum.
    if 'masks' in ref and 'masks' in dep:
        ours = ref.masks[matched].flatten(1).bool()
        theirs = dep.masks[index[matched]].flatten(1).bool()
        union = (ours | theirs).sum(1)
        iou = (ours & theirs).sum(1) / union.clamp(min=1)
        iou = torch.where(union > 0, iou, torch.ones_like(iou))
        result.update(
            min_mask_iou=iou.min().item(), mean_mask_iou=iou.mean().item())
    return result


def summarize(comparisons: Sequence[dict]) -> dict:
    """One summary of per-image :func:`compare_predictions` results:
    the smallest pixel agreement, or the matched fraction of all PyTorch
    boxes with the worst IoUs and score difference."""
    if not comparisons:
        return {}
    if 'pixel_agreement' in comparisons[0]:
        return dict(
            images=len(comparisons),
            min_pixel_agreement=min(c['pixel_agreement'] for c in comparisons))
    boxes = sum(c['boxes'] for c in comparisons)
    summary = dict(
        images=len(comparisons),
        boxes=boxes,
        deployed_boxes=sum(c['deployed_boxes'] for c in comparisons),
        matched_fraction=(sum(c['matched']
                              for c in comparisons) / boxes if boxes else 1.0))
    for key, pick in (('min_box_iou', min), ('min_mask_iou', min),
                      ('mean_mask_iou', min), ('max_score_diff', max)):
        values = [c[key] for c in comparisons if key in c]
        if values:
            summary[key] = pick(values)
    return summary


def _static_test_pipeline(pipeline: List[dict], shape: Sequence[int]) -> None:
    """Resize every test image to ``shape`` (width, height) in place."""
    resizes = [t for t in pipeline if t['type'] in ('Resize', 'mmdet.Resize')]
    if not resizes:
        raise ValueError('a static-shape deploy config needs a Resize in the '
                         'test pipeline to bring images to its input shape')
    for transform in resizes:
        transform.pop('scale_factor', None)
        transform.update(scale=tuple(shape), keep_ratio=False)


def _timed(step, batch) -> tuple:
    synchronize()
    start = time.perf_counter()
    with torch.no_grad():
        outputs = step(batch)
    synchronize()
    return outputs, time.perf_counter() - start


def build_models(deploy_cfg,
                 model_cfg,
                 checkpoint: Optional[str],
                 backend_files: Sequence[str],
                 device: str = 'cpu'):
    """``(processor, pytorch_model, deployed_model)`` as mmdeploy builds
    them (no deployed model without ``backend_files``); configs are paths
    or ``Config`` objects."""
    from mmdeploy.apis.utils import build_task_processor
    from mmdeploy.utils import load_config
    deploy_cfg, model_cfg = load_config(deploy_cfg, model_cfg)
    processor = build_task_processor(model_cfg, deploy_cfg, device)
    deployed = processor.build_backend_model(
        list(backend_files)) if backend_files else None
    return processor, processor.build_pytorch_model(checkpoint), deployed


def verify(deploy_cfg,
           model_cfg,
           checkpoint: Optional[str],
           backend_files: Sequence[str],
           image,
           device: str = 'cpu') -> dict:
    """Both checks of one ``image`` (path or HxWx3 uint8 array), models
    built once: ``vs_pytorch``, :func:`compare_predictions` of the deployed
    model against mmdet/mmseg's own ``test_step``, and ``vs_traced``,
    :func:`export_fidelity`."""
    from mmdeploy.utils import get_input_shape, load_config
    deploy_cfg, model_cfg = load_config(deploy_cfg, model_cfg)
    processor, pytorch_model, backend_model = build_models(
        deploy_cfg, model_cfg, checkpoint, backend_files, device)
    inputs, _ = processor.create_input(image, get_input_shape(deploy_cfg))
    with torch.no_grad():
        reference = pytorch_model.test_step(inputs)[0]
        deployed = backend_model.test_step(inputs)[0]
    return dict(
        vs_pytorch=compare_predictions(reference, deployed),
        vs_traced=export_fidelity(
            deploy_cfg, pytorch_model, backend_model,
            pytorch_model.data_preprocessor(inputs, False)))


def export_fidelity(deploy_cfg, pytorch_model, backend_model,
                    data: dict) -> dict:
    """The deployed graph against what it was traced from: the PyTorch
    model run eagerly under mmdeploy's rewrites, on one preprocessed batch
    ``data``. Returns the largest absolute difference of each graph output
    and, for integer outputs (labels), the fraction of equal entries.

    This separates export errors from mmdeploy's own deviations from
    mmdet/mmseg (``vs_pytorch`` in :func:`verify` measures both together).
    """
    from mmdeploy.core import RewriterContext
    from mmdeploy.utils import get_backend
    with RewriterContext(
            cfg=deploy_cfg, backend=get_backend(deploy_cfg).value), \
            torch.no_grad():
        traced = pytorch_model(
            data['inputs'], data['data_samples'], mode='predict')
        deployed = backend_model.wrapper({'input': data['inputs']})
    if isinstance(traced, torch.Tensor):
        traced = (traced, )
    ours = dict(zip(backend_model.output_names, traced))
    theirs = {name: deployed[name].to(t.device) for name, t in ours.items()}
    if 'dets' in ours:  # rows of near-equal scores may come in either order
        cost = (ours['dets'][0][:, None] - theirs['dets'][0][None]).abs()
        order = cost.amax(-1).argmin(1)
        theirs = {name: t[:, order] for name, t in theirs.items()}
    result = {}
    for name, value in ours.items():
        if value.is_floating_point():
            result[name] = (value - theirs[name]).abs().max().item()
        else:
            result[name] = (value == theirs[name]).float().mean().item()
    return result


class AutocastModel:
    """``test_step`` of ``model`` as ``tools/test.py --amp`` runs it
    (:func:`hvt_mm.engine.amp_context`: detectors on CPU autocast backbone
    and neck only)."""

    def __init__(self, model, default_scope: Optional[str]) -> None:
        from ..engine.runner.amp_test_loop import amp_test_cfg
        self.model = model
        device = next(model.parameters()).device.type
        self.methods = amp_test_cfg(None, device,
                                    default_scope).get('autocast_methods')

    def test_step(self, batch):
        from ..engine.runner.amp_test_loop import amp_context
        with amp_context(self.model, self.methods):
            return self.model.test_step(batch)


def test_dataloader(model_cfg, shape: Optional[Sequence[int]] = None):
    """``model_cfg``'s test set, one image per batch, every image resized to
    ``shape`` (width, height; a static deploy config's input shape) if
    given."""
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(model_cfg.test_dataloader)
    if shape:
        _static_test_pipeline(loader_cfg.dataset.pipeline, shape)
    return Runner.build_dataloader(
        dict(
            loader_cfg, batch_size=1, num_workers=0, persistent_workers=False))


def evaluate_forms(forms: Dict[str, object],
                   model_cfg,
                   loader,
                   reference: str = 'pytorch',
                   warmup: int = 1) -> dict:
    """Every form (anything with ``test_step``) over ``loader``: ``{form:
    metrics}``, each with ``fps`` (median ``test_step`` img/s: data
    preprocessing, network and post-processing, after ``warmup`` images)
    and, except for ``reference``, ``agreement`` (:func:`summarize` of the
    per-image :func:`compare_predictions` against ``reference``)."""
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope
    init_default_scope(model_cfg.get('default_scope', 'mmdet'))
    evaluators, seconds, comparisons = {}, {}, {}
    for name in forms:
        evaluators[name] = Evaluator(copy.deepcopy(model_cfg.test_evaluator))
        evaluators[name].dataset_meta = loader.dataset.metainfo
        seconds[name], comparisons[name] = [], []
    for batch in loader:
        outputs = {}
        for name, form in forms.items():
            outputs[name], elapsed = _timed(form.test_step, batch)
            seconds[name].append(elapsed)
            evaluators[name].process(
                data_samples=outputs[name], data_batch=batch)
        for name in forms:
            if name != reference:
                comparisons[name] += [
                    compare_predictions(ref, out)
                    for ref, out in zip(outputs[reference], outputs[name])
                ]
    result: Dict[str, dict] = {}
    for name in forms:
        metrics = evaluators[name].evaluate(len(loader.dataset))
        timed = seconds[name][warmup:] or seconds[name]
        metrics['fps'] = 1.0 / statistics.median(timed)
        if name != reference:
            metrics['agreement'] = summarize(comparisons[name])
        result[name] = metrics
    return result


def evaluate(deploy_cfg,
             model_cfg,
             checkpoint: Optional[str],
             backend_files: Sequence[str],
             device: str = 'cpu') -> dict:
    """PyTorch and the deployed model over ``model_cfg``'s test set:
    :func:`evaluate_forms` of ``pytorch`` and ``deployed``."""
    from mmdeploy.utils import get_input_shape, load_config
    deploy_cfg, model_cfg = load_config(deploy_cfg, model_cfg)
    loader = test_dataloader(model_cfg, get_input_shape(deploy_cfg))
    _, pytorch_model, backend_model = build_models(deploy_cfg, model_cfg,
                                                   checkpoint, backend_files,
                                                   device)
    return evaluate_forms(
        dict(pytorch=pytorch_model, deployed=backend_model), model_cfg, loader)


__all__ = [
    'AutocastModel', 'BOX_MATCH_IOU', 'build_models', 'compare_predictions',
    'evaluate', 'evaluate_forms', 'export_fidelity', 'summarize',
    'test_dataloader', 'verify'
]
