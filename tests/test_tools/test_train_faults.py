"""tools/train.py when a DataLoader worker is killed (as by the OOM killer):
one clear error line, exit code 1, and ``--resume`` finishes the run with
the weights of an uninterrupted one."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from hvt_mm.checkpoint import load_checkpoint_file
from hvt_mm.cli.faults import find_worker_death, worker_death_message
from tests.tool_loader import ROOT
from tests.toy_runner import toy_runner_cfg

# 16 batches of 4 per epoch; the worker loading batch 9 dies, which the
# main process notices around iteration 6 (two workers prefetch two
# batches each), after iter_4.pth.
MAX_ITERS, INTERVAL, REPEAT, KILL_AT = 12, 2, 16, 4 * 9 + 2


def _cfg(work_dir, marker, kill_at, num_workers) -> dict:
    cfg = toy_runner_cfg(str(work_dir), MAX_ITERS, INTERVAL)
    cfg['train_dataloader'].update(
        num_workers=num_workers,
        dataset=dict(
            type='HvtToyKillableDataset',
            marker=str(marker),
            kill_at=kill_at,
            repeat=REPEAT))
    cfg['custom_imports'] = dict(
        imports=['tests.toy_runner'], allow_failed_imports=False)
    return cfg


def _train_tool(config, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, 'tools/train.py',
         str(config), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120)


@pytest.mark.slow
def test_killed_worker_then_resume_loses_nothing(tmp_path):
    work_dir, marker = tmp_path / 'run', tmp_path / 'killed'
    config = tmp_path / 'toy.py'
    Config(_cfg(work_dir, marker, KILL_AT, num_workers=2)).dump(str(config))

    broken = _train_tool(config)
    assert marker.exists(), 'the worker was never killed'
    assert broken.returncode == 1, broken.stderr
    errors = [
        line for line in broken.stderr.splitlines()
        if line.startswith('error: ')
    ]
    assert len(errors) == 1, broken.stderr
    assert 'Traceback' not in broken.stderr
    assert 'data loading worker process died' in errors[0]
    assert 'DataLoader worker (pid' in errors[0]
    last = (work_dir / 'last_checkpoint').read_text()
    assert f'continue from {last}' in errors[0]
    assert not (work_dir / f'iter_{MAX_ITERS}.pth').exists()

    resumed = _train_tool(config, '--resume')
    assert resumed.returncode == 0, resumed.stderr
    assert f'Load checkpoint from {last}' in resumed.stdout + resumed.stderr

    reference = Runner.from_cfg(
        _cfg(tmp_path / 'ref', marker, None, num_workers=0))
    reference.train()
    state = load_checkpoint_file(str(work_dir / f'iter_{MAX_ITERS}.pth'))
    assert state['meta']['iter'] == MAX_ITERS
    for name, value in reference.model.state_dict().items():
        torch.testing.assert_close(
            state['state_dict'][name], value, rtol=0, atol=0)


def test_worker_death_found_through_wrapping_exceptions(tmp_path):
    """The SIGCHLD error can strike inside code that re-raises something
    else (mmengine's config formatting raises SyntaxError)."""
    death = RuntimeError('DataLoader worker (pid 7) is killed by signal: '
                         'Killed. ')
    try:
        try:
            raise death
        except BaseException:
            raise SyntaxError('Failed to format the config file')
    except SyntaxError as wrapped:
        assert find_worker_death(wrapped) is death
    assert find_worker_death(RuntimeError('CUDA out of memory')) is None
    assert find_worker_death(ValueError('DataLoader worker (pid')) is None

    message = worker_death_message(death, str(tmp_path), 3)
    assert 'after 3 iterations' in message and 'killed by signal' in message
    assert 'No checkpoint was saved yet' in message
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    message = worker_death_message(death, str(tmp_path), 3)
    assert f'Rerun with --resume (same --work-dir) to continue from ' \
        f'{tmp_path}/iter_2.pth' in message
    assert '\n' not in message
