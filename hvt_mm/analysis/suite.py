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

Each form is timed as :mod:`.pipeline_benchmark` times a network (network
only, ``mode='tensor'``, median img/s) and gets one untimed iteration for
peak memory (:mod:`.memory`) and its largest output difference to the
eager form, relative to the largest eager output (detectors: FPN features
and RPN outputs, which RoI selection then turns into discrete choices;
segmentors: the logits). The detector run also times the bare backbone at
two sizes, eager and compiled, for the time-vs-pixels exponent
(:func:`.pipeline_benchmark.scaling_exponent`).

``python -m hvt_mm.analysis.suite JOB_JSON`` runs one job and prints
``RESULT_PREFIX`` + JSON.
"""
import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..engine.compile import CompileSettings, compile_model
from ..engine.optimizers.amp import patch_autocast
from ..models.backbones.base import HVTBackbone
from .backbone_benchmark import flatten_tensors
from .flops import count_model_flops
from .memory import measure_step
from .model_builder import build_model_from_config
from .pipeline_benchmark import fuse_batchnorm, make_forward, scaling_exponent
from .suite_models import SuiteModel, load_task_config
from .timing import resolve_device

RESULT_PREFIX = 'HVT_SUITE_RESULT '
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


def low_precision_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on CPU (AVX-512 BF16 / AMX), float16 on CUDA."""
    return torch.float16 if device.type == 'cuda' else torch.bfloat16


class _Timer:
    """Times steps and measures peak memory with the suite's settings."""

    def __init__(self, options: SuiteOptions, device: torch.device) -> None:
        self.options, self.device = options, device

    def __call__(self, step: Callable[[], None], batch: int = 1) -> Dict:
        opts = self.options
        start = time.perf_counter()
        step()  # first call: compilation for the compiled form
        first_s = time.perf_counter() - start
        for _ in range(max(opts.warmup - 1, 0)):
            step()
        result = measure_step(
            step,
            self.device,
            opts.iters,
            opts.repeats,
            batch,
            cpu_memory=True)
        result['first_call_s'] = first_s
        return result


def _form_context(model: nn.Module, task: str, form: str,
                  device: torch.device):
    if form != 'bf16':
        return contextlib.nullcontext()
    # Detectors: backbone + neck; segmentors: the whole tensor forward.
    names = ['extract_feat'] if task == 'det' else ['_forward']
    return patch_autocast(model, names, device.type,
                          low_precision_dtype(device))


def _error_text(exc: Exception) -> str:
    """An exception as the one-line error of its record."""
    return f'{type(exc).__name__}: {exc}'[:300]


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
    if options.threads:
        torch.set_num_threads(options.threads)
    device = resolve_device(options.device)
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
    torch.manual_seed(0)
    cfg = load_task_config(model_entry, task)
    model, _ = build_model_from_config(cfg)
    model.to(device)
    base['params_m'] = sum(p.numel() for p in model.parameters()) / 1e6
    if options.flops:
        base['flops_g'] = count_model_flops(model, size).flops / 1e9
    timer = _Timer(options, device)
    inputs = torch.randn(1, 3, *size, device=device)
    exponents: List[Dict] = []
    if task == 'det' and 'eager' in options.exponent_forms:
        exponents.append(_exponent(model.backbone, 'eager', options, timer))
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
                record.update(timer(step))
                record['max_rel_diff'] = relative_difference(
                    dense_outputs(model, task, inputs), reference)
        except Exception as exc:  # reported in its row; other forms go on
            record['error'] = _error_text(exc)
        records.append(record)
    if task == 'det' and 'compiled' in options.exponent_forms:
        if not deployed:
            to_inference_form(model)
        exponents.append(
            _exponent(model.backbone, 'compiled', options, timer,
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
    if options.threads:
        torch.set_num_threads(options.threads)
    device = resolve_device(options.device)
    torch.manual_seed(0)
    model, _ = build_model_from_config(load_task_config(model_entry, 'det'))
    backbone = model.backbone.to(device).eval()
    timer = _Timer(options, device)
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
                record.update(timer(step, batch))
            except Exception as exc:  # reported in its row
                record['error'] = _error_text(exc)
            records.append(record)
    return dict(records=records, exponents=[])


def _exponent(backbone: nn.Module,
              form: str,
              options: SuiteOptions,
              timer: _Timer,
              backend: Optional[str] = None) -> Dict:
    """Seconds per image of the bare backbone at the two sizes and the
    exponent of time vs pixel count between them."""
    if backend is not None:
        _compile_backbone(backbone, backend)
    record = dict(form=form, error=None, sizes=[], seconds=[])
    try:
        for height, width in options.exponent_sizes:
            result = timer(
                _backbone_forward(
                    backbone,
                    torch.randn(1, 3, height, width, device=timer.device)))
            record['sizes'].append(f'{height}x{width}')
            record['seconds'].append(1.0 / result['img_s'])
        (h1, w1), (h2, w2) = options.exponent_sizes
        record['exponent'] = scaling_exponent((h1 * w1, h2 * w2),
                                              tuple(record['seconds']))
    except Exception as exc:  # e.g. out of memory at the large size
        record['error'] = _error_text(exc)
    return record


def run_isolated(
    model_entry: SuiteModel,
    task: str,
    options: SuiteOptions,
    timeout: Optional[float] = None,
    settings: Sequence[Tuple[int, int, int]] = ()
) -> Dict:
    """:func:`measure_task` (``task`` 'det' or 'seg') or
    :func:`measure_backbone` (``'backbone'`` at ``settings``) in a fresh
    Python process (clean memory peaks and compile caches); failures come
    back as one error record."""
    job = dict(
        model=asdict(model_entry),
        task=task,
        options=asdict(options),
        settings=list(settings))
    env = dict(os.environ)
    repo = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (repo, env.get('PYTHONPATH')) if p)
    try:
        proc = subprocess.run(
            [sys.executable, '-m', 'hvt_mm.analysis.suite',
             json.dumps(job)],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout)
        for line in proc.stdout.splitlines():
            if line.startswith(RESULT_PREFIX):
                return json.loads(line[len(RESULT_PREFIX):])
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        error = ' | '.join(tail) or f'exit {proc.returncode}'
    except subprocess.TimeoutExpired:
        error = f'timed out after {timeout} s'
    return dict(
        records=[
            dict(
                model=model_entry.name,
                family=model_entry.family,
                task=task,
                form=form,
                error=error) for form in options.forms
        ],
        exponents=[])


def options_from_dict(data: Dict) -> SuiteOptions:
    """:class:`SuiteOptions` from its ``asdict`` form (JSON lists back to
    tuples)."""
    data = dict(data)
    for key in ('det_size', 'seg_size', 'forms', 'exponent_forms'):
        data[key] = tuple(data[key])
    data['exponent_sizes'] = tuple(tuple(s) for s in data['exponent_sizes'])
    return SuiteOptions(**data)


def _worker(argv: Sequence[str]) -> int:
    job = json.loads(argv[0])
    entry, options = SuiteModel(**job['model']), options_from_dict(
        job['options'])
    if job['task'] == 'backbone':
        result = measure_backbone(entry, job['settings'], options)
    else:
        result = measure_task(entry, job['task'], options)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(_worker(sys.argv[1:]))
