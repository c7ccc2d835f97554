"""All-or-nothing local writes for checkpoints and ``last_checkpoint``.

mmengine writes a checkpoint by opening the target and writing the bytes: a
process killed meanwhile leaves a truncated ``iter_N.pth``, and a kill while
``last_checkpoint`` is rewritten leaves it empty, so ``--resume`` finds
nothing. :class:`AtomicLocalBackend` writes to a temporary file in the same
directory, flushes it to disk and renames it over the target (``os.replace``
is atomic), so a reader sees the old file or the new one, never a part.
:mod:`hvt_mm.integration` makes it mmengine's backend for local paths
(checkpoints, ``last_checkpoint``, logs written through mmengine).
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend


def atomic_write(path: Union[str, Path], data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never partial."""
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.unlink(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend with all-or-nothing ``put``/``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(filepath, obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj.encode(encoding))
