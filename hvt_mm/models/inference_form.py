"""Which form of a model runs: training or inference (fused) backbones,
eager or compiled. Whatever times a model reports this with its numbers
(:class:`~hvt_mm.engine.BenchmarkHook`, the benchmark tools).
"""
import sys
from typing import Dict

import torch.nn as nn

from .backbones.base import HVTBackbone


def backbone_form(model: nn.Module) -> str:
    """``'deploy'`` if every hvt_mm backbone in ``model`` is in its
    inference form (``switch_to_deploy()`` or ``deploy=True``), ``'train'``
    if none is, ``'mixed'`` otherwise, ``'n/a'`` without an hvt_mm
    backbone."""
    flags = {m.deploy for m in model.modules() if isinstance(m, HVTBackbone)}
    if not flags:
        return 'n/a'
    if len(flags) > 1:
        return 'mixed'
    return 'deploy' if flags.pop() else 'train'


def is_compiled(model: nn.Module) -> bool:
    """Whether ``model`` or a submodule runs through ``torch.compile``:
    wrapped (``torch.compile(module)``), in place (``module.compile()``) or
    with a compiled ``forward`` (``hvt_mm.engine.compile_model``).
    """
    # Nothing is compiled unless dynamo was imported (importing it is slow).
    eval_frame = sys.modules.get('torch._dynamo.eval_frame')
    wrapper = getattr(eval_frame, 'OptimizedModule', ())
    return any(
        isinstance(m, wrapper)
        or getattr(m, '_compiled_call_impl', None) is not None
        or hasattr(m.__dict__.get('forward'), '_torchdynamo_orig_callable')
        for m in model.modules())


def inference_form(model: nn.Module) -> Dict[str, str]:
    """``{'backbone': backbone_form(model), 'compiled': 'yes'|'no'}``."""
    return {
        'backbone': backbone_form(model),
        'compiled': 'yes' if is_compiled(model) else 'no',
    }


def describe_inference_form(model: nn.Module) -> str:
    """One phrase, e.g. ``'deploy-form backbone, compiled'``."""
    form = inference_form(model)
    backbone = ('no hvt_mm backbone' if form['backbone'] == 'n/a' else
                f"{form['backbone']}-form backbone")
    return backbone + (', compiled'
                       if form['compiled'] == 'yes' else ', eager')
