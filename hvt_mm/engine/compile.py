"""``torch.compile`` of the tensor parts of mmdet detectors and mmseg
segmentors: backbone, neck and heads, each on its own.

mmengine 0.10.7 reads ``cfg.compile`` only in ``Runner.train()`` and then
compiles ``model.train_step`` as a whole: data preprocessor, losses and the
optimizer wrapper included (Python code full of graph breaks), and nothing
at test time. Here each tensor-only submodule gets its own compiled
``forward`` instead (an instance attribute, so ``module(x)`` and mmseg's
direct ``head.forward(x)`` calls both use it and the state dict keeps its
keys); mmdet's and mmseg's Python post-processing (proposal selection, NMS,
RoIAlign, mask pasting, resizing) stays eager.

Variable input sizes. Our window-attention backbones compile with dynamic
(symbolic) shapes only very slowly on CPU (minutes for a tiny model, and
window padding guards recompile anyway), so image-sized modules compile for
static shapes by default and the data preprocessor pads every batch to a
multiple of ``pad_size_divisor`` (size buckets): a test run compiles once
per bucket, not once per image. Modules that see RoIs (mmdet's RoI heads)
compile with automatic dynamic shapes: a second number of RoIs gives one
kernel for any number. See :func:`bucket_count` for the bound.
"""
import copy
import math
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn

#: Submodules per group: (attribute path, sees RoIs instead of images).
TARGETS: Dict[str, Tuple[Tuple[str, bool], ...]] = {
    'backbone': (('backbone', False), ),
    'neck': (('neck', False), ),
    'head': (('rpn_head', False), ('bbox_head', False), ('decode_head', False),
             ('auxiliary_head', False), ('roi_head.bbox_head',
                                         True), ('roi_head.mask_head', True)),
}
#: ``pad_size_divisor='auto'``: 800 (COCO's short side) and 512 (ADE20K's)
#: are multiples, both are multiples of the stride 32 our backbones need.
AUTO_DIVISOR = dict(det=160, seg=128)


@dataclass
class CompileSettings:
    """What to compile and how (the ``compile`` config key).

    Args:
        backbone: Compile ``model.backbone``.
        neck: Compile ``model.neck``.
        head: Compile the heads: mmdet ``rpn_head``/``bbox_head`` and the
            RoI heads' ``bbox_head``/``mask_head`` (every cascade stage),
            mmseg ``decode_head``/``auxiliary_head``.
        dynamic: ``torch.compile(dynamic=...)`` of the image-sized modules.
            False (default): static shapes, one compilation per size bucket.
        pad_size_divisor: Pad test and training batches to multiples of
            this (the least common multiple with the model's own divisor);
            ``'auto'``: 160 for detectors, 128 for segmentors; None keeps
            the data preprocessor's padding (one compilation per size).
        backend, mode, options, fullgraph: passed to ``torch.compile``.
        recompile_limit: Compilations allowed per module before it falls
            back to eager (torch's default is 8).
    """
    backbone: bool = True
    neck: bool = True
    head: bool = True
    dynamic: Optional[bool] = False
    pad_size_divisor: Union[int, str, None] = 'auto'
    backend: str = 'inductor'
    mode: Optional[str] = None
    options: Optional[dict] = None
    fullgraph: bool = False
    recompile_limit: int = 64
    _extra: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_cfg(cls, value: Any) -> Optional['CompileSettings']:
        """Settings from a config value: None/False (off), True (defaults)
        or a dict of the fields above. Raises ValueError naming unknown
        keys and bad values."""
        if value is None or value is False:
            return None
        if value is True:
            return cls()
        if not isinstance(value, dict):
            raise ValueError('compile must be True, False or a dict like '
                             'dict(backbone=True, neck=True, head=True), '
                             f'got {value!r}')
        known = [f for f in cls.__dataclass_fields__ if f != '_extra']
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f'Unknown compile option(s) {unknown}; '
                             f'valid: {known}.')
        settings = cls(**dict(value))
        divisor = settings.pad_size_divisor
        if not (divisor in (None, 'auto') or
                (isinstance(divisor, int) and divisor >= 1)):
            raise ValueError("compile.pad_size_divisor must be None, 'auto' "
                             f'or a positive int, got {divisor!r}')
        if settings.mode is not None and settings.options is not None:
            raise ValueError('compile: give mode or options, not both '
                             '(torch.compile refuses both).')
        return settings

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop('_extra')
        return out


def _get(model: nn.Module, path: str) -> Optional[nn.Module]:
    for name in path.split('.'):
        model = getattr(model, name, None)
        if model is None:
            return None
    return model


def compile_targets(
        model: nn.Module,
        settings: CompileSettings) -> Iterator[Tuple[str, nn.Module, bool]]:
    """``(name, module, sees_rois)`` of every submodule to compile;
    ``ModuleList`` heads (cascade stages, several auxiliary heads) yield
    each entry."""
    for group, entries in TARGETS.items():
        if not getattr(settings, group):
            continue
        for path, rois in entries:
            module = _get(model, path)
            if not isinstance(module, nn.Module):
                continue
            if isinstance(module, nn.ModuleList):
                for i, item in enumerate(module):
                    yield f'{path}.{i}', item, rois
            else:
                yield path, module, rois


def is_compiled_forward(module: nn.Module) -> bool:
    """Whether :func:`compile_model` replaced ``module.forward``."""
    forward = module.__dict__.get('forward')
    return getattr(forward, '_torchdynamo_orig_callable', None) is not None


def compile_model(model: nn.Module, settings: CompileSettings) -> List[str]:
    """Compile the submodules :func:`compile_targets` names, in place and
    lazily (tracing happens at the first call); return their names.

    Already compiled submodules are left alone, so calling it twice is
    harmless. Undo with :func:`uncompile_model`.
    """
    names = []
    for name, module, rois in compile_targets(model, settings):
        if is_compiled_forward(module):
            continue
        kwargs = dict(
            backend=settings.backend,
            fullgraph=settings.fullgraph,
            # RoI counts vary per image: one dynamic kernel after the
            # second count. Image sizes are bucketed instead.
            dynamic=None if rois else settings.dynamic,
            recompile_limit=settings.recompile_limit,
            isolate_recompiles=True,
            name=name)
        if settings.mode is not None:
            kwargs['mode'] = settings.mode
        if settings.options is not None:
            kwargs['options'] = copy.deepcopy(settings.options)
        module.forward = torch.compile(module.forward, **kwargs)
        names.append(name)
    return names


def uncompile_model(model: nn.Module) -> int:
    """Restore the eager ``forward`` of every compiled submodule; return
    how many were restored."""
    count = 0
    for module in model.modules():
        if is_compiled_forward(module):
            del module.forward
            count += 1
    return count


def model_task(model: nn.Module) -> Optional[str]:
    """``'det'`` for mmdet models, ``'seg'`` for mmseg, else None."""
    package = type(model).__module__.split('.')[0]
    return dict(mmdet='det', mmseg='seg').get(package)


def set_pad_size_divisor(model: nn.Module,
                         divisor: Union[int, str, None]) -> Optional[int]:
    """Make the data preprocessor pad batches to multiples of ``divisor``
    (lcm with its own); return the divisor now in effect, or None if the
    model has no preprocessor that pads (nothing changed).

    mmdet's ``DetDataPreProcessor`` pads bottom/right and records the
    padded ``batch_input_shape``; mmseg's ``SegDataPreProcessor`` pads test
    images through its ``test_cfg`` and crops the logits back
    (``padding_size``); its training crops already have one size.
    """
    if divisor is None:
        return None
    preprocessor = getattr(model, 'data_preprocessor', None)
    task = model_task(model)
    if divisor == 'auto':
        if task is None:
            return None
        divisor = AUTO_DIVISOR[task]
    if hasattr(preprocessor, 'pad_size_divisor'):  # mmdet
        own = preprocessor.pad_size_divisor or 1
        preprocessor.pad_size_divisor = math.lcm(own, divisor)
        return preprocessor.pad_size_divisor
    if hasattr(preprocessor, 'test_cfg') and task == 'seg':
        test_cfg = dict(preprocessor.test_cfg or {})
        if test_cfg.get('size') is not None:
            return None  # fixed test size: one shape already
        own = test_cfg.get('size_divisor') or 1
        test_cfg['size_divisor'] = math.lcm(own, divisor)
        preprocessor.test_cfg = test_cfg
        return test_cfg['size_divisor']
    return None


def bucket_count(scale: Tuple[int, int], divisor: int) -> int:
    """Most distinct padded sizes (static compilations) a keep-ratio resize
    to ``scale`` (long, short) produces: each side is at most the long
    edge, one side equals its limit, buckets are multiples of ``divisor``.

    COCO's ``(1333, 800)``: 17 buckets with divisor 160, 11 with 224, 83
    with mmdet's own 32; ADE20K's ``(2048, 512)``: 31 with 128.
    """
    long_edge, short_edge = max(scale), min(scale)
    sides = set()
    # Short side at its limit; the long side anywhere up to its limit.
    limit_short = math.ceil(short_edge / divisor)
    limit_long = math.ceil(long_edge / divisor)
    for other in range(limit_short, limit_long + 1):
        sides.add((limit_short, other))
    # Long side at its limit (elongated images); the short side below.
    for other in range(1, limit_short + 1):
        sides.add((other, limit_long))
    # Either orientation.
    return len(sides | {(b, a) for a, b in sides})


def compiled_graph_count() -> int:
    """Graphs dynamo has compiled in this process so far (all modules)."""
    dynamo_utils = sys.modules.get('torch._dynamo.utils')
    if dynamo_utils is None:
        return 0
    return int(dynamo_utils.counters['stats']['unique_graphs'])


def configure_compile(cfg, enable: bool = False) -> Optional[CompileSettings]:
    """Turn the config's ``compile`` entry, or ``--compile`` (``enable``),
    into a :class:`~hvt_mm.engine.hooks.CompileHook` in ``custom_hooks``.

    ``cfg.compile`` may be True or a dict of :class:`CompileSettings`
    fields (mmengine's own keys ``backend``/``mode``/``options``/
    ``dynamic``/``fullgraph`` keep their meaning); ``enable`` with no
    entry means the defaults. The entry is then set to None: mmengine's
    ``Runner.train()`` would otherwise compile the whole ``train_step``
    with it. Returns the settings, or None when compiling is off.

    Raises:
        ValueError: for unknown keys or bad values (one line).
    """
    value = cfg.get('compile')
    if enable and not value:
        value = True
    settings = CompileSettings.from_cfg(value)
    cfg.compile = None
    if settings is not None:
        hooks = [
            h for h in cfg.get('custom_hooks') or []
            if h.get('type') not in ('CompileHook', 'hvt_mm.CompileHook')
        ]
        cfg.custom_hooks = hooks + [
            dict(type='hvt_mm.CompileHook', **settings.to_dict())
        ]
    return settings
