"""Low-precision testing for ``tools/test.py --amp``.

mmengine's ``TestLoop(fp16=True)`` autocasts the whole ``test_step``: fp16
on CUDA, bfloat16 on CPU. Detectors cannot run that way on CPU, where
mmcv's RoIAlign and NMS kernels accept float32 only, so
:class:`AmpTestLoop` can autocast named model methods instead (a
detector's ``extract_feat``: backbone and neck) and return their outputs in
float32, as :class:`hvt_mm.engine.BF16AmpOptimWrapper` does for training.
EfficientViT's linear attention stays float32 under any autocast
(:class:`hvt_mm.models.backbones.efficientvit.LiteMLA`).
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop
from mmengine.runner.amp import autocast
from torch.utils.data import DataLoader

from ...registry import register_loop
from ..optimizers.amp import low_precision_dtype, patch_autocast


def amp_context(module: torch.nn.Module,
                autocast_methods: Optional[Sequence[str]] = None):
    """What ``test_step`` runs under in :class:`AmpTestLoop`: autocast of
    the whole step (mmengine's ``autocast``), or of ``autocast_methods``
    only, with their outputs back in float32; fp16 on CUDA, bfloat16 on
    CPU (the device of ``module``'s parameters)."""
    device_type = next(module.parameters()).device.type
    dtype = low_precision_dtype(device_type)
    if autocast_methods:
        return patch_autocast(module, autocast_methods, device_type, dtype)
    return autocast(device_type=device_type, dtype=dtype)


@register_loop
class AmpTestLoop(TestLoop):
    """``TestLoop`` under autocast: fp16 on CUDA, bfloat16 on CPU.

    Args:
        runner, dataloader, evaluator: as ``mmengine.runner.TestLoop``.
        autocast_methods: ``None`` (default) autocasts the whole
            ``test_step`` (as mmengine's ``fp16=True``). A list of model
            method names autocasts only those calls and casts their
            floating outputs back to float32 (:func:`amp_context`).
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Dict, List],
                 autocast_methods: Optional[Sequence[str]] = None) -> None:
        # Whole step: TestLoop's own fp16 autocast (what amp_context gives
        # without methods); it must stay off around patched methods, since
        # its autocast(enabled=False) would switch theirs off.
        super().__init__(
            runner, dataloader, evaluator, fp16=autocast_methods is None)
        self.autocast_methods = None if autocast_methods is None else tuple(
            autocast_methods)

    @property
    def _module(self) -> torch.nn.Module:
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    @property
    def dtype(self) -> torch.dtype:
        return low_precision_dtype(next(self._module.parameters()).device)

    def run_iter(self, idx, data_batch: Sequence[dict]) -> None:
        if self.autocast_methods is None:
            return super().run_iter(idx, data_batch)
        with amp_context(self._module, self.autocast_methods):
            return super().run_iter(idx, data_batch)


def precision_of(loop) -> str:
    """How a val/test loop runs the model: ``'fp32'``, ``'bf16 autocast'``,
    ``'fp16 autocast'``, with the autocast methods when not the whole step
    (``'bf16 autocast (extract_feat)'``)."""
    if isinstance(loop, AmpTestLoop):
        name = {torch.float16: 'fp16', torch.bfloat16: 'bf16'}[loop.dtype]
        methods = loop.autocast_methods
        scope = f' ({", ".join(methods)})' if methods else ''
        return f'{name} autocast{scope}'
    if getattr(loop, 'fp16', False):  # mmengine's own fp16 loops
        return ('fp16 autocast'
                if torch.cuda.is_available() else 'bf16 autocast')
    return 'fp32'


def amp_test_cfg(test_cfg: Optional[dict], device: str,
                 default_scope: Optional[str]) -> dict:
    """The ``test_cfg`` that ``tools/test.py --amp`` runs:
    :class:`AmpTestLoop`, whole ``test_step`` autocast except for mmdet
    models on CPU (backbone and neck only, see the module docstring)."""
    cfg = dict(test_cfg or {})
    if cfg.get('type', 'TestLoop') not in ('TestLoop', 'hvt_mm.AmpTestLoop'):
        raise ValueError(f'--amp replaces the TestLoop, but test_cfg.type is '
                         f'{cfg["type"]!r}; drop --amp or use TestLoop')
    cfg.pop('fp16', None)
    cfg['type'] = 'hvt_mm.AmpTestLoop'
    if device == 'cpu' and default_scope == 'mmdet':
        cfg.setdefault('autocast_methods', ['extract_feat'])
    return cfg
