"""hvt_mm.analysis.timing (size/setting parsing) and the timing loop of
hvt_mm.engine.timing."""
import pytest
import torch

from hvt_mm.analysis.timing import parse_setting, parse_size
from hvt_mm.engine.timing import time_runs


def test_parse_setting():
    assert parse_setting('800x1333:1') == (800, 1333, 1)
    assert parse_setting('224:8') == (224, 224, 8)
    with pytest.raises(ValueError, match='use HxW:BATCH'):
        parse_setting('224x224x8')


def test_parse_size():
    assert parse_size('1024x2048') == (1024, 2048)
    assert parse_size('512') == (512, 512)
    for bad in ('512x', '0x512', '512x512x3', 'axb', '-4x4'):
        with pytest.raises(ValueError, match='use HxW'):
            parse_size(bad)


def test_time_runs_with_fake_clock():
    ticks = iter([0.0, 2.0, 10.0, 13.0])
    calls = []
    seconds = time_runs(
        lambda: calls.append(1),
        torch.device('cpu'),
        iters=4,
        repeats=2,
        clock=lambda: next(ticks))
    assert seconds == [2.0, 3.0]
    assert len(calls) == 2 * 4
