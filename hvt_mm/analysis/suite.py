"""Side-by-side measurement of whole detectors and segmentors in several
forms (engine of ``tools/analysis_tools/benchmark_suite.py``).

For one model (:mod:`.suite_models`) and one task, in a fresh process:

* ``eager``: the training form (as built), eager, float32;
* ``deploy``: the inference form: hvt_mm backbones ``switch_to_deploy()``,
  BatchNorm after convolutions folded elsewhere (mmcv ``fuse_conv_bn``);
* ``bf16``: the inference form under bfloat16 autocast on CPU, float16 on
  CUDA (detectors: backbone and neck only, mmcv's CPU RoIAlign/NMS take
  float32; segmentors: the whole network). EfficientViT's linear attention
  stays float32 inside;
* ``compiled``: the inference form with backbone, neck and heads compiled
  (:mod:`hvt_mm.engine.compile`, inductor by default), float32.

Each form is measured as :mod:`.pipeline_benchmark` measures a network
(network only, ``mode='tensor'``, :func:`.timing.measure_step`: median
img/s, first-call seconds, peak memory) and gets its largest output
difference to the eager form, relative to the largest eager output
(detectors: FPN features and RPN outputs, which RoI selection then turns
into discrete choices; segmentors: the logits). The detector run also
times the bare backbone at two sizes, eager and compiled, for the
time-vs-pixels exponent (:func:`.pipeline_benchmark.scaling_exponent`).

:func:`measure_isolated` runs one model and task in a fresh process
(:mod:`.isolation`).
"""
import contextlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..engine.compile import CompileSettings, compile_model
from ..engine.optimizers.amp import low_precision_dtype, patch_autocast
from ..models.backbones.base import HVTBackbone
from .backbone_benchmark import flatten_tensors
from .flops import count_model_flops
from .isolation import IsolatedError, error_text, run_isolated
from .model_builder import build_model_from_config
from .pipeline_benchmark import fuse_batchnorm, make_forward, scaling_exponent
from .suite_models import SuiteModel, load_task_config
from .timing import measure_step, resolve_device

FORMS = ('eager', 'deploy', 'bf16', 'compiled')
Size = Tuple[int, int]


@dataclass
class SuiteOptions:
    """What to measure; :data:`QUICK` shrinks it to a smoke test."""
    det_size: Size = (800, 1333)
    seg_size: Size = (512, 512)
    exponent_sizes: Tuple[Size, Size] = ((512, 512), (2048, 2048))
    forms: Tuple[str, ...] = FORMS
    exponent_forms: Tuple[str, ...] = ('eager', 'compiled')
    warmup: int = 1
    iters: int = 1
    repeats: int = 3
    compile_backend: str = 'inductor'
    device: str = 'cpu'
    threads: Optional[int] = None
    flops: bool = True
    extra: Dict = field(default_factory=dict)


QUICK = dict(
    det_size=(128, 192),
    seg_size=(64, 64),
    exponent_sizes=((64, 64), (128, 128)),
    repeats=1)


def dense_outputs(model: nn.Module, task: str,
                  inputs: torch.Tensor) -> List[torch.Tensor]:
    """Outputs compared between forms (see the module docstring)."""
    with torch.no_grad():
        if task == 'det':
            feats = model.extract_feat(inputs)
            return flatten_tensors(feats) + flatten_tensors(
                model.rpn_head(feats))
        return flatten_tensors(model(inputs, mode='tensor'))


def relative_difference(outputs: Sequence[torch.Tensor],
                        reference: Sequence[torch.Tensor]) -> float:
    """``max |a - b| / max |b|`` over all tensors (float32)."""
    scale = max(r.float().abs().max().item() for r in reference)
    diff = max((a.float() - b.float()).abs().max().item()
               for a, b in zip(outputs, reference))
    return diff / max(scale, 1e-12)


def to_inference_form(model: nn.Module) -> int:
    """hvt_mm backbones switch to their inference form; BatchNorm after a
    convolution is folded elsewhere (and in baseline backbones). Returns
    the number of BatchNorm layers mmcv folded."""
    folded = 0
    for name, child in model.named_children():
        if isinstance(child, HVTBackbone):
            child.switch_to_deploy()
        elif name != 'data_preprocessor':
            folded += fuse_batchnorm(child)
    return folded


def _set_up(options: SuiteOptions) -> torch.device:
    """Threads and seed of this (fresh) process; the device to use."""
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.manual_seed(0)
    return resolve_device(options.device)


def _measure(step: Callable[[], None],
             options: SuiteOptions,
             device: torch.device,
             batch: int = 1) -> Dict:
    """:func:`.timing.measure_step` with the suite's counts (the first
    warm-up call compiles the compiled form)."""
    counts = (options.warmup, options.iters, options.repeats)
    return measure_step(step, device, *counts, batch, cpu_memory=True)


def _form_context(model: nn.Module, task: str, form: str,
                  device: torch.device):
    if form != 'bf16':
        return contextlib.nullcontext()
    # Detectors: backbone + neck; segmentors: the whole tensor forward.
    names = ['extract_feat'] if task == 'det' else ['_forward']
    return patch_autocast(model, names, device.type,
                          low_precision_dtype(device))


def _compile_backbone(backbone: nn.Module, backend: str) -> None:
    """Compile the backbone alone (compile_model's 'backbone' target)."""
    compile_model(
        nn.ModuleDict(dict(backbone=backbone)),
        CompileSettings(
            neck=False, head=False, backend=backend, pad_size_divisor=None))


def _backbone_forward(backbone: nn.Module,
                      x: torch.Tensor) -> Callable[[], None]:
    """One timed call: the bare backbone on ``x`` without gradients."""

    def step() -> None:
        with torch.no_grad():
            backbone(x)

    return step


def measure_task(model_entry: SuiteModel, task: str,
                 options: SuiteOptions) -> Dict:
    """All forms of one model and task (plus the backbone exponents for
    ``det``); returns ``dict(records=[...], exponents=[...])``."""
    device = _set_up(options)
    size = options.det_size if task == 'det' else options.seg_size
    base = dict(
        model=model_entry.name,
        family=model_entry.family,
        task=task,
        height=size[0],
        width=size[1],
        batch=1,
        device=options.device,
        num_threads=torch.get_num_threads())
    cfg = load_task_config(model_entry, task)
    model, _ = build_model_from_config(cfg)
    model.to(device)
    base['params_m'] = sum(p.numel() for p in model.parameters()) / 1e6
    if options.flops:
        base['flops_g'] = count_model_flops(model, size).flops / 1e9
    inputs = torch.randn(1, 3, *size, device=device)
    exponents: List[Dict] = []
    if task == 'det' and 'eager' in options.exponent_forms:
        exponents.append(_exponent(model.backbone, 'eager', options, device))
    reference = dense_outputs(model, task, inputs)
    records, deployed = [], False
    for form in options.forms:
        record = dict(base, form=form, error=None)
        try:
            if form != 'eager' and not deployed:
                record['bn_folded'] = to_inference_form(model)
                deployed = True
            if form == 'compiled':
                compile_model(
                    model,
                    CompileSettings(
                        backend=options.compile_backend,
                        pad_size_divisor=None))
            step = make_forward(model, *size, 1, device)
            with _form_context(model, task, form, device):
                record.update(_measure(step, options, device))
                record['max_rel_diff'] = relative_difference(
                    dense_outputs(model, task, inputs), reference)
        except Exception as exc:  # reported in its row; other forms go on
            record['error'] = error_text(exc, 300)
        records.append(record)
    if task == 'det' and 'compiled' in options.exponent_forms:
        if not deployed:
            to_inference_form(model)
        exponents.append(
            _exponent(model.backbone, 'compiled', options, device,
                      options.compile_backend))
    for item in exponents:
        item.update(model=model_entry.name, family=model_entry.family)
    return dict(records=records, exponents=exponents)


def measure_backbone(model_entry: SuiteModel,
                     settings: Sequence[Tuple[int, int, int]],
                     options: SuiteOptions) -> Dict:
    """The bare backbone of ``model_entry``'s detector config (eager
    training form, inference form, compiled inference form) at each
    ``(height, width, batch)``, for the table next to the originals."""
    device = _set_up(options)
    model, _ = build_model_from_config(load_task_config(model_entry, 'det'))
    backbone = model.backbone.to(device).eval()
    records = []
    for form in ('eager', 'deploy', 'compiled'):
        if form == 'deploy':
            backbone.switch_to_deploy()
        elif form == 'compiled':
            _compile_backbone(backbone, options.compile_backend)
        for height, width, batch in settings:
            record = dict(
                model=model_entry.name,
                form=form,
                height=height,
                width=width,
                batch=batch,
                error=None)
            step = _backbone_forward(
                backbone, torch.randn(batch, 3, height, width, device=device))
            try:
                record.update(_measure(step, options, device, batch))
            except Exception as exc:  # reported in its row
                record['error'] = error_text(exc, 300)
            records.append(record)
    return dict(records=records, exponents=[])


def _exponent(backbone: nn.Module,
              form: str,
              options: SuiteOptions,
              device: torch.device,
              backend: Optional[str] = None) -> Dict:
    """Seconds per image of the bare backbone at the two sizes and the
    exponent of time vs pixel count between them."""
    if backend is not None:
        _compile_backbone(backbone, backend)
    record = dict(form=form, error=None, sizes=[], seconds=[])
    try:
        for height, width in options.exponent_sizes:
            result = _measure(
                _backbone_forward(
                    backbone, torch.randn(1, 3, height, width, device=device)),
                options, device)
            record['sizes'].append(f'{height}x{width}')
            record['seconds'].append(1.0 / result['img_s'])
        (h1, w1), (h2, w2) = options.exponent_sizes
        record['exponent'] = scaling_exponent((h1 * w1, h2 * w2),
                                              tuple(record['seconds']))
    except Exception as exc:  # e.g. out of memory at the large size
        record['error'] = error_text(exc, 300)
    return record


def measure_isolated(
    model_entry: SuiteModel,
    task: str,
    options: SuiteOptions,
    timeout: Optional[float] = None,
    settings: Sequence[Tuple[int, int, int]] = ()
) -> Dict:
    """:func:`measure_task` (``task`` 'det' or 'seg') or
    :func:`measure_backbone` (``'backbone'`` at ``settings``) in a fresh
    process (clean memory peaks and compile caches); a failure comes back
    as one error record per form."""
    fn, args = measure_task, (task, )
    if task == 'backbone':
        fn, args = measure_backbone, (list(settings), )
    try:
        return run_isolated(fn, model_entry, *args, options, timeout=timeout)
    except IsolatedError as exc:
        base = dict(
            model=model_entry.name,
            family=model_entry.family,
            task=task,
            error=error_text(exc, 300))
    return dict(
        records=[dict(base, form=form) for form in options.forms],
        exponents=[])


def options_from_dict(data: Dict) -> SuiteOptions:
    """:class:`SuiteOptions` from its ``asdict`` form (JSON lists back to
    tuples)."""
    data = dict(data)
    for key in ('det_size', 'seg_size', 'forms', 'exponent_forms'):
        data[key] = tuple(data[key])
    data['exponent_sizes'] = tuple(tuple(s) for s in data['exponent_sizes'])
    return SuiteOptions(**data)
