"""Throughput (img/s) of the model during val/test, CUDA-synchronised."""
from time import perf_counter
from typing import Any, Callable, Dict, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...models.inference_form import describe_inference_form
from ...registry import register_hook
from ..runner.amp_test_loop import precision_of
from ..timing import synchronize

_MODES = ('model', 'iter')


@register_hook
class BenchmarkHook(Hook):
    """Measure test/val throughput and publish ``{mode}/fps``.

    With ``mode='model'`` (default) the hook wraps ``runner.model.test_step``
    (``val_step`` for validation) for the duration of the loop and times each
    call with ``perf_counter``, synchronising CUDA before and after when it
    is in use (:func:`hvt_mm.engine.timing.synchronize`, as the benchmark
    tools do). The timed region is the model's data preprocessor, forward
    and post-processing; data loading and ``evaluator.process`` (e.g. COCO
    mask encoding) are excluded. ``mode='iter'`` times from
    ``before_*_iter`` to ``after_*_iter`` instead, which includes the
    evaluator.

    After the epoch it publishes ``{test,val}/fps`` (images per second) and
    ``{test,val}/ms_per_img`` through ``runner.message_hub``, so mmengine's
    ``LoggerHook`` (lower priority, runs later) prints them on the metrics
    line and writes them to the JSON log; for test, it also forwards them to
    ``runner.visualizer.add_scalars`` (mmengine only does that for val). The
    conditions that change the number (batch size, cudnn benchmark, the
    loop's precision: ``fp32``, ``bf16 autocast``, ... from
    ``tools/test.py --amp``, see :func:`hvt_mm.engine.precision_of`; the
    model's form: training or inference-form backbone and eager or
    compiled, see :mod:`hvt_mm.models.inference_form`; mmseg
    ``test_cfg.mode``, world size) are logged with the result.

    Under distributed testing each rank times its own batches; image counts
    are summed and the slowest rank's time is used.

    Args:
        warmup_iters (int): Batches per loop excluded from the measurement
            (CUDA kernels selection, caches). Defaults to 5.
        mode (str): ``'model'`` or ``'iter'``, see above.
        log (bool): Log the result and conditions. Defaults to True.

    Example:
        >>> custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=5)]
    """

    priority = 'NORMAL'

    def __init__(self,
                 warmup_iters: int = 5,
                 mode: str = 'model',
                 log: bool = True) -> None:
        if mode not in _MODES:
            raise ValueError(
                f"BenchmarkHook mode must be one of {_MODES}, got {mode!r}: "
                "'model' times runner.model.test_step/val_step only, 'iter' "
                'times the whole loop iteration including the evaluator.')
        if not isinstance(warmup_iters, int) or warmup_iters < 0:
            raise ValueError('BenchmarkHook warmup_iters must be an int >= 0, '
                             f'got {warmup_iters!r}')
        self.warmup_iters = warmup_iters
        self.mode = mode
        self.log = log

    # ----------------------------------------------------------- state
    def _reset(self) -> None:
        self._seen_batches = 0
        self._images = 0
        self._seconds = 0.0
        self._max_batch = 0
        self._iter_start: Optional[float] = None
        self._wrapped: Optional[tuple] = None

    def _record(self, data_batch: Any, seconds: float) -> None:
        """Count one batch unless it is a warm-up batch."""
        self._seen_batches += 1
        num = _batch_size(data_batch)
        self._max_batch = max(self._max_batch, num)
        if self._seen_batches > self.warmup_iters:
            self._images += num
            self._seconds += seconds

    def _timed(self, step: Callable) -> Callable:

        def timed_step(data: Any, *args, **kwargs) -> Any:
            synchronize()
            start = perf_counter()
            outputs = step(data, *args, **kwargs)
            synchronize()
            self._record(data, perf_counter() - start)
            return outputs

        return timed_step

    def _wrap(self, runner, step_name: str) -> None:
        model = runner.model
        had_own = step_name in vars(model)
        original = getattr(model, step_name)
        # Setting the instance attribute shadows the bound method; DDP
        # wrappers forward test_step/val_step to the inner module, so
        # wrapping the outer object covers distributed runs too.
        setattr(model, step_name, self._timed(original))
        self._wrapped = (model, step_name, had_own, original)

    def _unwrap(self) -> None:
        if self._wrapped is None:
            return
        model, step_name, had_own, original = self._wrapped
        if had_own:
            setattr(model, step_name, original)
        else:
            delattr(model, step_name)
        self._wrapped = None

    # ----------------------------------------------------------- stages
    def _before_loop(self, runner, step_name: str) -> None:
        self._reset()
        if self.mode == 'model':
            self._wrap(runner, step_name)

    def before_val(self, runner) -> None:
        self._before_loop(runner, 'val_step')

    def before_test(self, runner) -> None:
        self._before_loop(runner, 'test_step')

    def after_val(self, runner) -> None:
        self._unwrap()

    def after_test(self, runner) -> None:
        self._unwrap()

    def _before_iter(self,
                     runner,
                     batch_idx: int,
                     data_batch: Any = None,
                     mode: str = 'train') -> None:
        if self.mode == 'iter' and mode in ('val', 'test'):
            synchronize()
            self._iter_start = perf_counter()

    def _after_iter(self,
                    runner,
                    batch_idx: int,
                    data_batch: Any = None,
                    outputs: Any = None,
                    mode: str = 'train') -> None:
        if self.mode == 'iter' and mode in ('val', 'test') and \
                self._iter_start is not None:
            synchronize()
            self._record(data_batch, perf_counter() - self._iter_start)
            self._iter_start = None

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        self._publish(runner, 'val')

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        scalars = self._publish(runner, 'test')
        if scalars:
            runner.visualizer.add_scalars(scalars, step=0)

    # ----------------------------------------------------------- results
    def _publish(self, runner, loop: str) -> Dict[str, float]:
        images, seconds = self._images, self._seconds
        world_size = get_world_size()
        if world_size > 1:
            count = torch.tensor([float(images)], dtype=torch.float64)
            elapsed = torch.tensor([seconds], dtype=torch.float64)
            all_reduce(count, op='sum')
            all_reduce(elapsed, op='max')
            images, seconds = int(count.item()), float(elapsed.item())
        if images == 0 or seconds <= 0:
            runner.logger.warning(
                f'BenchmarkHook: no {loop} batch was timed '
                f'({self._seen_batches} batches seen, warmup_iters='
                f'{self.warmup_iters}); lower warmup_iters or use more data '
                'to get a throughput number.')
            return {}
        fps = images / seconds
        scalars = {f'{loop}/fps': fps, f'{loop}/ms_per_img': 1000.0 / fps}
        for key, value in scalars.items():
            runner.message_hub.update_scalar(key, value)
        if self.log:
            runner.logger.info(
                f'BenchmarkHook({loop}): {fps:.2f} img/s, '
                f'{1000.0 / fps:.2f} ms/img over {images} images '
                f'({self._describe_timing()}); '
                f'{self._conditions(runner, loop, world_size)}')
        return scalars

    def _describe_timing(self) -> str:
        if self.mode == 'model':
            region = ('model.test_step/val_step: preprocessor + forward + '
                      'post-processing, no data loading or evaluator')
        else:
            region = 'whole loop iteration incl. evaluator.process'
        sync = 'CUDA-synchronised' if torch.cuda.is_available() else 'CPU'
        return (f'timed {region}; first {self.warmup_iters} batches '
                f'skipped; {sync}')

    def _conditions(self, runner, loop: str, world_size: int) -> str:
        loop_obj = getattr(runner, f'{loop}_loop', None)
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        test_cfg = getattr(model, 'test_cfg', None)
        test_mode = test_cfg.get('mode') if isinstance(test_cfg,
                                                       dict) else None
        parts = [
            f'batch size {self._max_batch}',
            f'cudnn_benchmark={torch.backends.cudnn.benchmark}',
            f'precision={precision_of(loop_obj)}',
            describe_inference_form(runner.model),
            f'world size {world_size}',
        ]
        if test_mode is not None:
            parts.append(f'test_cfg.mode={test_mode}')
        return ', '.join(parts)


def _batch_size(data_batch: Any) -> int:
    """Number of images in a collated batch (``inputs`` list or tensor)."""
    if isinstance(data_batch, dict) and 'inputs' in data_batch:
        return len(data_batch['inputs'])
    raise TypeError(
        'BenchmarkHook expects data batches as dicts with an "inputs" entry '
        f'(OpenMMLab pseudo_collate), got {type(data_batch).__name__}; '
        'use the default collate function or disable the hook.')
