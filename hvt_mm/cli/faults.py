"""Recognising a dead DataLoader worker and saying how to continue.

When a worker process dies (usually the kernel's OOM killer), torch raises
``RuntimeError('DataLoader worker (pid N) is killed by signal: Killed.')``
from its SIGCHLD handler, i.e. wherever the main process happens to be,
or ``... exited unexpectedly`` from the next batch fetch. Code that catches
everything can wrap it: mmengine's config formatting turns it into a
``SyntaxError`` when it strikes during a checkpoint save. So the whole
exception chain is searched.
"""
import os.path as osp
from typing import Optional

WORKER_DEATH = 'DataLoader worker (pid'


def find_worker_death(exc: BaseException) -> Optional[BaseException]:
    """The DataLoader worker-death error in ``exc``'s chain, or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, RuntimeError) and WORKER_DEATH in str(exc):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` (no path) continues from, if any."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read().strip() or None


def worker_death_message(error: BaseException, work_dir: str,
                         done: int) -> str:
    """One line: what happened after ``done`` iterations, the likely
    cause, how to continue."""
    reason = str(error).strip().splitlines()[0]
    checkpoint = last_checkpoint(work_dir)
    if checkpoint is None:
        resume = 'No checkpoint was saved yet: rerun the same command'
    else:
        resume = ('Rerun with --resume (same --work-dir) to continue from '
                  f'{checkpoint}')
    return (f'a data loading worker process died after {done} iterations '
            f'({reason}); this usually means the machine ran out of '
            'memory: lower train_dataloader.num_workers or batch_size. '
            f'{resume}.')
