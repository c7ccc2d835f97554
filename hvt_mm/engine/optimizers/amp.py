"""Mixed-precision training on any device: bfloat16 where fp16 needs CUDA.

mmengine's ``AmpOptimWrapper`` (fp16 with a ``GradScaler``) refuses to run
without CUDA/NPU/MLU. :class:`BF16AmpOptimWrapper` autocasts to bfloat16
instead, which has float32's exponent range and so needs no loss scaling;
it runs on CPU and on bf16-capable GPUs. :func:`amp_optim_wrapper` picks
the right wrapper for ``tools/train.py --amp``.
"""
import functools
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterator, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.utils import apply_to

from ...registry import register_optim_wrapper


def _to_float32(outputs):
    """Floating tensors in (nested) outputs back to float32."""
    return apply_to(
        outputs,
        lambda x: isinstance(x, torch.Tensor) and x.is_floating_point(),
        lambda x: x.float())


def _autocast_method(method: Callable,
                     device_type: str,
                     dtype: torch.dtype = torch.bfloat16) -> Callable:

    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        with torch.autocast(device_type=device_type, dtype=dtype):
            outputs = method(*args, **kwargs)
        return _to_float32(outputs)

    return wrapped


@register_optim_wrapper
class BF16AmpOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose training forward runs under bfloat16 autocast.

    No loss scaling: bfloat16 gradients do not underflow the way fp16 ones
    do. Autocast uses the device of the model's first parameter.

    Args:
        autocast_methods: ``None`` (default) autocasts the whole training
            forward, data preprocessor included, as ``AmpOptimWrapper``
            does. A list of model method names (e.g. ``['extract_feat']``,
            backbone plus neck in mmdet and mmseg) autocasts only those
            calls and casts their floating outputs back to float32; the rest
            runs in float32. Detectors need this on CPU, where mmcv's NMS and
            RoIAlign kernels accept float32 only.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self,
                 autocast_methods: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.autocast_methods = None if autocast_methods is None else tuple(
            autocast_methods)

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        module = model.module if is_model_wrapper(model) else model
        device_type = next(module.parameters()).device.type
        with super().optim_context(model), ExitStack() as stack:
            if self.autocast_methods is None:
                stack.enter_context(
                    torch.autocast(
                        device_type=device_type, dtype=torch.bfloat16))
            else:
                stack.enter_context(
                    patch_autocast(module, self.autocast_methods, device_type))
            yield


def low_precision_dtype(device: Union[str, torch.device]) -> torch.dtype:
    """The autocast dtype of low-precision inference: float16 on CUDA,
    bfloat16 elsewhere (CPUs with AVX-512 BF16 / AMX)."""
    return torch.float16 if torch.device(device).type == 'cuda' else \
        torch.bfloat16


@contextmanager
def patch_autocast(module: nn.Module,
                   names: Sequence[str],
                   device_type: str,
                   dtype: torch.dtype = torch.bfloat16) -> Iterator[None]:
    """Shadow ``module.<name>`` with versions that run under autocast to
    ``dtype`` and return float32, while inside (e.g. a detector's
    ``extract_feat``: mmcv's CPU RoIAlign and NMS accept float32 only)."""
    for name in names:
        if not callable(getattr(module, name, None)):
            raise ValueError(
                f'BF16AmpOptimWrapper: autocast_methods names {name!r}, '
                f'but {type(module).__name__} has no such method; use '
                "autocast_methods=None or e.g. ['extract_feat']")
    for name in names:
        # An instance attribute shadows the class method until deleted.
        object.__setattr__(
            module, name,
            _autocast_method(getattr(module, name), device_type, dtype))
    try:
        yield
    finally:
        for name in names:
            object.__delattr__(module, name)


def amp_optim_wrapper(optim_wrapper: dict,
                      device: str,
                      default_scope: Optional[str] = None) -> dict:
    """The ``optim_wrapper`` config that ``--amp`` trains with on ``device``.

    CUDA (and other accelerators): mmengine's ``AmpOptimWrapper``, float16
    with dynamic loss scaling unless the config says otherwise. CPU:
    :class:`BF16AmpOptimWrapper`; for mmdet models only ``extract_feat``
    (backbone + neck) is autocast, because mmcv's CPU NMS/RoIAlign take
    float32 only. Optimizer, paramwise and clipping settings are kept.
    """
    cfg = dict(optim_wrapper)
    if device == 'cpu':
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            cfg.pop(key, None)  # fp16/CUDA-only AmpOptimWrapper options
        cfg['type'] = 'hvt_mm.BF16AmpOptimWrapper'
        if default_scope == 'mmdet':
            cfg.setdefault('autocast_methods', ['extract_feat'])
        return cfg
    cfg.pop('autocast_methods', None)
    cfg['type'] = 'AmpOptimWrapper'
    cfg.setdefault('loss_scale', 'dynamic')
    cfg.setdefault('dtype', 'float16')
    return cfg
