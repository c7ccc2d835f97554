"""A checkpoint save killed halfway leaves the previous one usable."""
import copy
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.runner import Runner

from hvt_mm.checkpoint import atomic_write, load_checkpoint_file
from tests.conftest import flat_parameters
from tests.toy_runner import toy_runner_cfg


def test_atomic_write_replaces_whole_files(tmp_path):
    path = tmp_path / 'sub' / 'file'
    atomic_write(path, b'first')
    atomic_write(path, b'second')
    assert path.read_bytes() == b'second'
    assert [p.name for p in path.parent.iterdir()] == ['file']


@pytest.mark.slow
def test_killed_during_save_then_resume_loses_nothing(tmp_path):
    """The process dies (os._exit, as SIGKILL) while iter_6.pth is being
    written: iter_4.pth and last_checkpoint stay intact, and resuming
    reaches the same weights as an uninterrupted run."""
    work_dir = tmp_path / 'run'
    script = textwrap.dedent(f"""
        import os
        import hvt_mm.checkpoint.saving as saving
        from mmengine.runner import Runner
        from tests.toy_runner import toy_runner_cfg

        real_fsync = os.fsync

        def dying_fsync(fd):
            if 'iter_6.pth' in os.readlink(f'/proc/self/fd/{{fd}}'):
                os._exit(9)  # half-way: bytes written, nothing renamed
            real_fsync(fd)

        saving.os.fsync = dying_fsync
        Runner.from_cfg(toy_runner_cfg({str(work_dir)!r}, max_iters=8,
                                       interval=2)).train()
        """)
    result = subprocess.run([sys.executable, '-c', script],
                            cwd='.',
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 9, result.stderr
    assert not (work_dir / 'iter_6.pth').exists()
    assert (work_dir / 'last_checkpoint').read_text().endswith('iter_4.pth')
    assert load_checkpoint_file(str(work_dir /
                                    'iter_4.pth'))['meta']['iter'] == 4

    cfg = toy_runner_cfg(str(work_dir), max_iters=8, interval=2)
    resumed = Runner.from_cfg(dict(copy.deepcopy(cfg), resume=True))
    resumed.train()
    assert resumed.iter == 8
    reference = Runner.from_cfg(
        toy_runner_cfg(str(tmp_path / 'ref'), max_iters=8, interval=2))
    reference.train()
    torch.testing.assert_close(
        flat_parameters(resumed.model),
        flat_parameters(reference.model),
        rtol=0,
        atol=0)
