"""tools/misc/make_toy_data.py: writes, then skips an up-to-date copy."""
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'misc' / \
    'make_toy_data.py'


def test_cli_writes_then_skips(tmp_path):
    cmd = [
        sys.executable,
        str(TOOL), '--root',
        str(tmp_path), '--datasets', 'coco', '--num-train', '2', '--num-val',
        '1'
    ]
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    # Importing hvt_mm may log warnings first (e.g. mmpretrain without
    # torchvision); the tool's own report is the last line.
    assert first.stdout.splitlines()[-1].startswith(
        f'coco: wrote {tmp_path / "toy_coco"} in ')
    second = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert 'up to date (seed 0); skipped' in second.stdout
    bad = subprocess.run(
        cmd + ['--seed', '-3'], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        'make_toy_data: error: seed must be a non-negative int, got -3')
