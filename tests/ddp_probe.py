"""A hook for multi-process tests: every rank saves its model's
parameters before and after training, and the images it trained on, to
``<work_dir>/rank<r>_<when>.pth``, so a test can compare what the ranks
hold in memory."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module(force=True)
class DumpRankParamsHook(Hook):
    """Save ``named_parameters`` of the unwrapped model on every rank."""

    def __init__(self) -> None:
        self.seen = []

    def _dump(self, runner, when: str) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        params = {k: v.detach().cpu() for k, v in model.named_parameters()}
        torch.save(
            dict(params=params, seen=self.seen),
            osp.join(runner.work_dir, f'rank{get_rank()}_{when}.pth'))

    def before_train(self, runner) -> None:
        self._dump(runner, 'before')

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.seen += [s.img_path for s in data_batch['data_samples']]

    def after_train(self, runner) -> None:
        self._dump(runner, 'after')
