"""Compile backbone, neck and heads when a run starts (``--compile``)."""
from typing import Dict, Union

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import register_hook
from ..compile import (CompileSettings, compile_model, compiled_graph_count,
                       set_pad_size_divisor)


@register_hook
class CompileHook(Hook):
    """``torch.compile`` the model's backbone, neck and heads in
    ``before_run`` (see :mod:`hvt_mm.engine.compile`), pad batches to size
    buckets, and report how many graphs each loop compiled.

    Compilation is lazy (first forward), so checkpoint loading and inference
    form switches done after ``before_run`` are traced, not recompiled. After
    every train/val/test loop the number of graphs compiled during it is
    published as ``{train,val,test}/compiled_graphs`` and logged.

    Args:
        **settings: :class:`~hvt_mm.engine.compile.CompileSettings` fields
            (``backbone``, ``neck``, ``head``, ``dynamic``,
            ``pad_size_divisor``, ``backend``, ``mode``, ``options``,
            ``fullgraph``, ``recompile_limit``).

    Example:
        >>> custom_hooks = [dict(type='hvt_mm.CompileHook', neck=False)]
    """

    # Before LoggerHook (BELOW_NORMAL), so the counts reach the log line.
    priority = 'NORMAL'

    def __init__(self, **settings: Union[bool, int, str, dict, None]) -> None:
        self.settings = CompileSettings.from_cfg(dict(settings))
        # Graph count when each loop began (val loops run inside train).
        self._start: Dict[str, int] = {}

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'backbone') and hasattr(model, 'module'):
            model = model.module  # test-time augmentation wrappers
        divisor = set_pad_size_divisor(model, self.settings.pad_size_divisor)
        names = compile_model(model, self.settings)
        padding = ('sizes unchanged' if divisor is None else
                   f'batches padded to multiples of {divisor}')
        runner.logger.info(
            f'CompileHook: compiling {", ".join(names) or "nothing"} '
            f'(backend={self.settings.backend}, '
            f'dynamic={self.settings.dynamic}, {padding}); the first batch '
            'of every new size compiles.')

    def _before_loop(self, loop: str) -> None:
        self._start[loop] = compiled_graph_count()

    def _after_loop(self, runner, loop: str) -> None:
        if loop not in self._start:
            return
        graphs = compiled_graph_count() - self._start.pop(loop)
        runner.message_hub.update_scalar(f'{loop}/compiled_graphs', graphs)
        runner.logger.info(
            f'CompileHook({loop}): {graphs} graph(s) compiled in this loop')

    def before_train(self, runner) -> None:
        self._before_loop('train')

    def before_val(self, runner) -> None:
        self._before_loop('val')

    def before_test(self, runner) -> None:
        self._before_loop('test')

    def after_train(self, runner) -> None:
        self._after_loop(runner, 'train')

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._after_loop(runner, 'val')

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._after_loop(runner, 'test')
