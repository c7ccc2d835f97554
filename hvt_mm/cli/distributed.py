"""Multi-process launch: device checks and the CPU (gloo) path.

``tools/dist_train.sh``/``dist_test.sh`` call :func:`check_processes`
before starting ``torchrun`` (``python -m hvt_mm.cli.distributed NPROC``),
and the tools call it again in every process, for users of ``torchrun``.

mmengine's distributed set-up assumes CUDA: it calls
``torch.cuda.set_device`` (which fails without CUDA), wraps the model in
DDP with ``device_ids=[LOCAL_RANK]`` (refused for CPU modules) and keeps
``SyncBN`` (CUDA-only). :func:`setup_cpu_distributed` takes the CPU path
instead: a gloo process group, DDP without device ids, ``BN`` instead of
``SyncBN`` (per-process batch statistics), each said in the log.
"""
import datetime
import logging
import os
import sys
from typing import Any, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log

from ..utils.errors import UsageError

#: Norm layers that need CUDA in a multi-process run, and their fallback.
SYNC_NORMS = {'SyncBN': 'BN', 'MMSyncBN': 'BN'}


def check_processes(nproc_per_node: int,
                    num_devices: Optional[int] = None) -> None:
    """Refuse more processes per machine than visible CUDA devices.

    Without CUDA any number of processes may share the CPU (gloo).

    Raises:
        UsageError: saying how many devices are visible and what to pass.
    """
    if num_devices is None:
        num_devices = torch.cuda.device_count()
    if num_devices == 0 or nproc_per_node <= num_devices:
        return
    visible = os.environ.get('CUDA_VISIBLE_DEVICES')
    shown = f' (CUDA_VISIBLE_DEVICES={visible})' if visible is not None \
        else ''
    raise UsageError(
        f'{nproc_per_node} processes per machine but only {num_devices} '
        f'CUDA device(s) visible{shown}: each process needs its own device. '
        f'Pass GPUS <= {num_devices} to tools/dist_train.sh / '
        'dist_test.sh (per machine; use NNODES for more machines) or make '
        'more devices visible.')


def _replace_sync_norms(node: Any) -> int:
    """Swap ``SyncBN`` configs for ``BN`` in place; return how many."""
    count = 0
    if isinstance(node, dict):
        if node.get('type') in SYNC_NORMS:
            node['type'] = SYNC_NORMS[node['type']]
            count += 1
        for value in node.values():
            count += _replace_sync_norms(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += _replace_sync_norms(value)
    return count


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a multi-process run on a machine without CUDA.

    Does nothing (returns False) for single-process runs or with CUDA.
    Otherwise starts the gloo process group from torchrun's environment
    (mmengine then uses it as it is), sets ``model_wrapper_cfg`` for a CPU
    DDP and replaces ``SyncBN`` by ``BN`` in the model config.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return False
    if cfg.launcher != 'pytorch':
        raise UsageError(
            f'--launcher {cfg.launcher} needs CUDA devices; on a CPU-only '
            'machine use tools/dist_train.sh (torchrun, gloo).')
    if not dist.is_initialized():
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
        kwargs = {}
        if timeout is not None:
            kwargs['timeout'] = datetime.timedelta(seconds=timeout)
        dist.init_process_group('gloo', **kwargs)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper
    replaced = _replace_sync_norms(cfg.model)
    if dist.get_rank() == 0:
        print_log(
            'No CUDA: distributed run on CPU with the gloo backend' +
            (f'; {replaced} SyncBN layer config(s) use BN instead '
             '(SyncBN needs CUDA; statistics are per process)'
             if replaced else '') + '.',
            logger='current',
            level=logging.WARNING)
    return True


def main(argv=None) -> int:
    """``python -m hvt_mm.cli.distributed NPROC``: exit 2 with one
    ``error:`` line if NPROC processes do not fit this machine."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        check_processes(int(argv[0]))
    except (IndexError, ValueError):
        print(
            f'error: expected a number of processes, got {argv}',
            file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
