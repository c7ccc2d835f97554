"""Command-line behaviour of tools/train.py and tools/test.py."""
import copy
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.tool_loader import load_tool
from tests.toy_runner import toy_runner_cfg

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_DET = osp.join(ROOT, 'configs', '_base_', 'mask_rcnn_coco.py')

train_tool = load_tool('tools/train.py')
test_tool = load_tool('tools/test.py')


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith('error: ')
    return err[0]


def test_unknown_config_path(capsys):
    assert train_tool.main(['configs/nope.py']) == 2
    assert 'does not exist' in _one_error_line(capsys)


def test_missing_data_root(capsys, tmp_path):
    code = train_tool.main([
        BASE_DET, '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}/absent/'
    ])
    assert code == 2
    line = _one_error_line(capsys)
    assert 'absent' in line and 'make_toy_data' in line


def test_shell_user_sees_only_the_error_line(tmp_path):
    # pytest captures warnings; a shell does not, so run the tool for real.
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONWARNINGS'}
    done = subprocess.run([
        sys.executable, 'tools/train.py', BASE_DET, '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}/absent/'
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith('error: ') and 'absent' in lines[0]


def test_bad_cfg_options(capsys):
    code = train_tool.main(
        [BASE_DET, '--cfg-options', 'model.backbone.type.depth=3'])
    assert code == 2
    assert 'bad --cfg-options' in _one_error_line(capsys)


def test_unparsable_cfg_options(capsys):
    with pytest.raises(SystemExit) as info:
        train_tool.main(
            [BASE_DET, '--cfg-options', 'model.backbone=dict(type=1,depth=2)'])
    assert info.value.code == 2
    assert 'bad --cfg-options' in _one_error_line(capsys)


def test_missing_checkpoint_for_test(capsys):
    assert test_tool.main([BASE_DET, 'absent.pth']) == 2
    assert "'absent.pth' not found" in _one_error_line(capsys)


def test_train_options_map_to_config(tmp_path):
    args = train_tool.parse_args([
        BASE_DET, '--work-dir',
        str(tmp_path), '--amp', '--resume', '--cfg-options',
        'train_dataloader.dataset.data_root=' + str(tmp_path) + '/',
        'train_dataloader.dataset.ann_file=a.json',
        'val_dataloader.dataset.data_root=' + str(tmp_path) + '/',
        'val_dataloader.dataset.ann_file=a.json'
    ])
    coco = '{"images": [], "annotations": [], "categories": []}'
    (tmp_path / 'a.json').write_text(coco)
    (tmp_path / 'train2017').mkdir()
    (tmp_path / 'val2017').mkdir()
    cfg = train_tool.build_cfg(args)
    assert cfg.work_dir == str(tmp_path)
    # No CUDA here: --amp means bfloat16 autocast of backbone + neck.
    assert cfg.optim_wrapper.type == 'hvt_mm.BF16AmpOptimWrapper'
    assert cfg.optim_wrapper.autocast_methods == ['extract_feat']
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.resume is True and cfg.load_from is None


class _InterruptOnce(Hook):
    """Raise KeyboardInterrupt before iteration ``at`` (like Ctrl-C)."""

    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            raise KeyboardInterrupt


def _params(runner):
    return torch.cat([p.detach().flatten() for p in runner.model.parameters()])


@pytest.mark.slow
def test_interrupt_then_resume_loses_nothing(tmp_path):
    # Checkpoints every 4 iterations, interrupted at 3: without the save on
    # interrupt, resuming would silently restart from iteration 0.
    straight = Runner.from_cfg(
        toy_runner_cfg(str(tmp_path / 'straight'), max_iters=6, interval=4))
    straight.train()

    cfg = toy_runner_cfg(str(tmp_path / 'broken'), max_iters=6, interval=4)
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.register_hook(_InterruptOnce(at=3))
    with pytest.raises(KeyboardInterrupt):
        train_tool.train(runner)
    assert osp.isfile(tmp_path / 'broken' / 'iter_3.pth')

    cfg['resume'] = True
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert resumed.iter == 6
    torch.testing.assert_close(
        _params(resumed), _params(straight), rtol=1e-6, atol=1e-6)
