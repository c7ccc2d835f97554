"""tools/dist_*.sh and tools/slurm_*.sh: two CPU processes train a real
hvt_mm model with DDP (gloo), the launchers forward multi-machine settings,
and more processes than GPUs are refused in one line."""
import copy
import os
import os.path as osp
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hvt_mm.cli import distributed
from hvt_mm.utils.errors import UsageError
from tests.backbone_families import FASTERVIT
from tests.toy_configs import toy_seg_cfg

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / 'tools'


def _env(**extra) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS='1', **extra)
    # The launchers call `python`: this interpreter's, as a user's venv.
    env['PATH'] = f'{osp.dirname(sys.executable)}:{env["PATH"]}'
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run(args, env, timeout=240) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_dist_train_and_test_with_two_cpu_processes(toy_data, tmp_path):
    # UperNet (SyncBN heads in the recipe) with a tiny FasterViT. At 64 px
    # the hierarchical-attention stage has one window, so its carrier-token
    # parameters get no gradient: DDP needs find_unused_parameters (see
    # docs/backbones/fastervit.md).
    backbone = dict(
        type='hvt_mm.FasterViT', arch=copy.deepcopy(FASTERVIT.cases[0].arch))
    work_dir = tmp_path / 'work'
    cfg = toy_seg_cfg(toy_data, work_dir, backbone, size=64, max_iters=3)
    assert cfg.model.decode_head.norm_cfg.type == 'SyncBN'
    cfg.custom_imports = dict(
        imports=['hvt_mm', 'tests.ddp_probe'], allow_failed_imports=False)
    cfg.custom_hooks = [dict(type='DumpRankParamsHook')]
    cfg.find_unused_parameters = True
    # mmseg stacks test images without padding: toy ADE20K sizes differ.
    cfg.test_dataloader.batch_size = 1
    config = tmp_path / 'ddp_toy.py'
    cfg.dump(str(config))

    env = _env(PORT=str(_free_port()))
    train = _run([TOOLS / 'dist_train.sh', config, 2], env)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    log = train.stdout + train.stderr
    assert log.count('distributed run on CPU with the gloo backend; 2 '
                     'SyncBN layer config(s) use BN instead') == 1

    dumps = {
        (r, when): torch.load(work_dir / f'rank{r}_{when}.pth')
        for r in (0, 1)
        for when in ('before', 'after')
    }
    # Each rank trained on its own shard of the data (the first 4 of its 6
    # images are its half of the first pass over the 8)...
    seen = [dumps[r, 'after']['seen'] for r in (0, 1)]
    assert len(seen[0]) == len(seen[1]) == 3 * 2
    assert len(set(seen[0][:4]) | set(seen[1][:4])) == 8
    # ... yet both hold the same weights: gradients were averaged.
    after = [dumps[r, 'after']['params'] for r in (0, 1)]
    before = dumps[0, 'before']['params']
    assert after[0].keys() == after[1].keys() == before.keys()
    for name in before:
        assert torch.equal(after[0][name], after[1][name]), name
    changed = [n for n in before if not torch.equal(before[n], after[0][n])]
    assert any(n.startswith('backbone.') for n in changed)
    assert any(n.startswith('decode_head.') for n in changed)
    # Exactly one checkpoint (rank 0 saves), holding those weights.
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [
        'iter_3.pth', 'rank0_after.pth', 'rank0_before.pth', 'rank1_after.pth',
        'rank1_before.pth'
    ]
    state = torch.load(work_dir / 'iter_3.pth')['state_dict']
    for name, value in after[0].items():
        assert torch.equal(state[name], value), name

    test = _run([TOOLS / 'dist_test.sh', config, work_dir / 'iter_3.pth', 2],
                env)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    assert 'mIoU' in test.stdout + test.stderr


def test_more_processes_than_gpus_is_one_clear_error():
    with pytest.raises(
            UsageError,
            match=r'3 processes per machine but only '
            r'2 CUDA device\(s\).*GPUS <= 2'):
        distributed.check_processes(3, num_devices=2)
    distributed.check_processes(2, num_devices=2)
    distributed.check_processes(8, num_devices=0)  # CPU: gloo, any number


def test_dist_launch_checks_devices_and_forwards_multi_machine_settings(
        tmp_path):
    # A stand-in `python` records how torch.distributed.run would be called
    # and runs the device check for real.
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'python').write_text(
        '#!/usr/bin/env bash\n'
        'if [ "$2" = torch.distributed.run ]; then\n'
        f'  echo "$@" > {tmp_path}/torchrun_args; exit 0; fi\n'
        f'exec {sys.executable} "$@"\n')
    (fake / 'python').chmod(0o755)
    env = _env(NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.7', PORT='29555')
    env['PATH'] = f'{fake}:{env["PATH"]}'
    result = _run([TOOLS / 'dist_train.sh', 'configs/x.py', 4, '--amp'], env,
                  120)
    assert result.returncode == 0, result.stderr[-2000:]
    args = (tmp_path / 'torchrun_args').read_text().split()
    assert args[:2] == ['-m', 'torch.distributed.run']
    assert {
        '--nnodes=2', '--node_rank=1', '--master_addr=10.0.0.7',
        '--master_port=29555', '--nproc_per_node=4'
    } <= set(args)
    assert args[-5:] == [
        str(TOOLS / 'train.py'), 'configs/x.py', '--amp', '--launcher',
        'pytorch'
    ]


@pytest.mark.parametrize('script,positional,tool', [
    ('slurm_train.sh', ['cfg.py', 'work'], 'train.py'),
    ('slurm_test.sh', ['cfg.py', 'ckpt.pth'], 'test.py'),
])
def test_slurm_scripts_call_srun_with_one_task_per_gpu(tmp_path, script,
                                                       positional, tool):
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'srun'
     ).write_text(f'#!/usr/bin/env bash\necho "$@" > {tmp_path}/srun_args\n')
    (fake / 'srun').chmod(0o755)
    env = _env(GPUS='16', GPUS_PER_NODE='8', SRUN_ARGS='--time=1:00:00')
    env['PATH'] = f'{fake}:{env["PATH"]}'
    result = _run([TOOLS / script, 'gpu', 'job'] + positional + ['--x'], env,
                  60)
    assert result.returncode == 0, result.stderr
    args = (tmp_path / 'srun_args').read_text().split()
    assert args[:2] == ['-p', 'gpu']
    assert {
        '--job-name=job', '--gres=gpu:8', '--ntasks=16', '--ntasks-per-node=8',
        '--kill-on-bad-exit=1', '--time=1:00:00'
    } <= set(args)
    tail = args[args.index('-u') + 1:]
    assert tail[:2] == [str(TOOLS / tool), positional[0]]
    assert any(arg.endswith(positional[1]) for arg in tail[2:])
    assert tail[-2:] == ['--x', '--launcher=slurm']
