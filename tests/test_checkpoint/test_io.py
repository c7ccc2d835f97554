"""Checkpoint IO under torch >= 2.6 without turning weights_only off."""
import argparse
import copy
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from hvt_mm.checkpoint import (UnsafeCheckpointError, load_checkpoint_file,
                               unwrap_state_dict)
from tests.conftest import flat_parameters
from tests.toy_runner import toy_runner_cfg


class _RunsShell:

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.mark.slow
def test_mmengine_checkpoint_resume_round_trip(tmp_path):
    cfg = toy_runner_cfg(str(tmp_path / 'run'), max_iters=4, interval=2)
    first = Runner.from_cfg(copy.deepcopy(cfg))
    first.train()
    trained = flat_parameters(first.model)
    ckpt = tmp_path / 'run' / 'iter_4.pth'
    assert ckpt.is_file()
    # The file holds what broke torch.load(weights_only=True) before.
    raw = load_checkpoint_file(str(ckpt))
    assert 'message_hub' in raw and 'meta' in raw

    cfg['train_cfg']['max_iters'] = 6
    cfg['resume'] = True
    second = Runner.from_cfg(copy.deepcopy(cfg))
    second.load_or_resume()
    assert second.iter == 4
    torch.testing.assert_close(
        flat_parameters(second.model), trained, rtol=0, atol=0)
    loss_hist = second.message_hub.get_scalar('train/loss')
    assert len(loss_hist.data[0]) == 4
    second.train()
    assert second.iter == 6


def test_mmengine_checkpoint_loads_in_fresh_process(tmp_path):
    """HistoryBuffer registers its statistics lazily; a new interpreter
    (as tools/test.py) must still accept them."""
    cfg = toy_runner_cfg(str(tmp_path), max_iters=2, interval=2)
    Runner.from_cfg(cfg).train()
    code = ('import hvt_mm, torch; from hvt_mm.checkpoint import '
            'load_checkpoint_file; c = load_checkpoint_file(%r); '
            'print(sorted(c["message_hub"]))' % str(tmp_path / 'iter_2.pth'))
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'log_scalars' in result.stdout


def test_numpy_values_in_meta_load(tmp_path):
    path = str(tmp_path / 'np.pth')
    torch.save(
        dict(
            meta=dict(seed=np.int64(3), arr=np.arange(3.0), f=np.float32(1.5)),
            state_dict=dict(w=torch.ones(2))), path)
    loaded = CheckpointLoader.load_checkpoint(path, 'cpu')
    np.testing.assert_array_equal(loaded['meta']['arr'], np.arange(3.0))
    assert loaded['meta']['seed'] == 3


def test_malicious_pickle_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save(
        {
            'state_dict': {
                'w': torch.ones(1)
            },
            'payload': _RunsShell(str(marker))
        }, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        CheckpointLoader.load_checkpoint(path, 'cpu')
    message = str(info.value)
    assert 'evil.pth' in message and 'it pickles posix.system,' in message
    assert not marker.exists()


def test_timm_container_with_namespace_loads_tensors(tmp_path):
    path = str(tmp_path / 'timm.pth.tar')
    weights = {'module.patch_embed.weight': torch.randn(4, 3)}
    torch.save(
        {
            'epoch': 3,
            'arch': 'x',
            'state_dict': weights,
            'optimizer': {
                'state': {}
            },
            'version': 2,
            'args': argparse.Namespace(lr=0.1, model='x'),
            'metric': 82.1
        }, path)
    state = unwrap_state_dict(load_checkpoint_file(path))
    assert list(state) == ['patch_embed.weight']
    torch.testing.assert_close(state['patch_embed.weight'],
                               weights['module.patch_embed.weight'])


def test_corrupt_file_clear_error(tmp_path):
    path = tmp_path / 'broken.pth'
    torch.save({'w': torch.ones(1000)}, str(path))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(RuntimeError, match='broken.pth.*truncated'):
        load_checkpoint_file(str(path))


def test_unwrap_rejects_tensorless(tmp_path):
    with pytest.raises(ValueError, match='no tensors'):
        unwrap_state_dict({'epoch': 1})
