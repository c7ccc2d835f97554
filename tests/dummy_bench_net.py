"""A tiny registered backbone for the benchmark helpers and tools."""
from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn

from hvt_mm.registry import MODELS


class DummyBenchNet(nn.Module):
    """Two convs; ``arch`` picks the width, like a real backbone table."""

    widths = {'s': 4, 'm': 8}

    def __init__(self,
                 arch: str = 's',
                 deploy: bool = False,
                 out_indices=(0, 1)) -> None:
        super().__init__()
        width = self.widths[arch]
        self.deploy, self.out_indices = deploy, out_indices
        self.conv1 = nn.Conv2d(3, width, 3, 2, 1)
        self.conv2 = nn.Conv2d(width, width, 3, 2, 1)

    def forward(self, x):
        x1 = self.conv1(x)
        return x1, self.conv2(x1)


def num_params(width: int) -> int:
    return width * 3 * 9 + width + width * width * 9 + width


@contextmanager
def dummy_registered() -> Iterator[None]:
    """``DummyBenchNet`` in hvt_mm's registry for the ``with`` block only."""
    MODELS.register_module(module=DummyBenchNet, force=True)
    try:
        yield
    finally:
        MODELS.module_dict.pop('DummyBenchNet')
