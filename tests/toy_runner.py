"""A tiny mmengine setup (model, dataset, config) for Runner-level tests."""
import os
import signal
from typing import Optional

import torch
import torch.nn as nn
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, MODELS
from torch.utils.data import get_worker_info


@MODELS.register_module(force=True)
class HvtToyModel(BaseModel):
    """Linear regression y = w x + b trained with MSE."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self,
                inputs,
                data_samples=None,
                mode='tensor',
                sample_idx=None):
        pred = self.linear(inputs)  # default_collate stacked the batch
        if mode == 'loss':
            target = data_samples.view(-1, 1)
            return dict(loss=((pred - target)**2).mean())
        return pred


@DATASETS.register_module(force=True)
class HvtToyDataset(BaseDataset):
    """Four fixed points on y = 3 x0 - 2 x1 + 1."""

    METAINFO = dict()

    def load_data_list(self):
        points = [(0., 1.), (1., 0.), (2., 2.), (-1., 3.)]
        return [
            dict(
                inputs=torch.tensor(p),
                data_samples=torch.tensor(3 * p[0] - 2 * p[1] + 1))
            for p in points
        ]


@DATASETS.register_module(force=True)
class HvtToyKillableDataset(HvtToyDataset):
    """:class:`HvtToyDataset` repeated ``repeat`` times whose DataLoader
    worker SIGKILLs itself (as the OOM killer would) on loading index
    ``kill_at``, once: it first creates the ``marker`` file, and never
    kills a process that is not a worker."""

    def __init__(self,
                 marker: str,
                 kill_at: Optional[int] = None,
                 repeat: int = 1,
                 **kwargs) -> None:
        self.marker, self.kill_at, self.repeat = marker, kill_at, repeat
        super().__init__(**kwargs)

    def __len__(self) -> int:
        return super().__len__() * self.repeat

    def __getitem__(self, idx: int) -> dict:
        if (idx == self.kill_at and get_worker_info() is not None
                and not os.path.exists(self.marker)):
            open(self.marker, 'x').close()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__getitem__(idx % super().__len__())


def toy_runner_cfg(work_dir: str,
                   max_iters: int = 6,
                   interval: int = 2) -> dict:
    """Config of an iteration-based run that sees the whole set each iter."""
    return dict(
        model=dict(type='HvtToyModel'),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=dict(type='HvtToyDataset'),
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            batch_size=4,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(
            type='MultiStepLR', milestones=[3], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook', interval=interval, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        log_processor=dict(by_epoch=False),
        randomness=dict(seed=0),
        default_scope='mmengine',
        experiment_name='toy')
