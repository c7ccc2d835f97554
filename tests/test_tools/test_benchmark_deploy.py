"""benchmark_deploy.py's speed table on one tiny model given by config."""
import json

import pytest

from tests.backbone_families import FASTVIT
from tests.tool_loader import load_tool
from tests.toy_configs import toy_seg_cfg

TINY = dict(type='FastViT', arch=FASTVIT.cases[0].arch)


@pytest.mark.slow
def test_speed_rows_for_a_custom_model(tmp_path, toy_data):
    seg = tmp_path / 'seg.py'
    toy_seg_cfg(toy_data, tmp_path, TINY).dump(seg)
    out = tmp_path / 'out'
    tool = load_tool('tools/analysis_tools/benchmark_deploy.py')
    code = tool.main([
        '--custom', 'tiny', '-',
        str(seg), '--tasks', 'det', 'seg', '--forms', 'pytorch', 'onnxruntime',
        '--repeats', '2', '--out-dir',
        str(out)
    ])
    assert code == 0
    data = json.loads((out / 'deploy.json').read_text())
    rows = data['speed']
    # '-' skipped detection; no default suite models came along.
    assert [(r['model'], r['task'], r['size'], r['form']) for r in rows] == [
        ('tiny', 'seg', '512x512', 'pytorch'),
        ('tiny', 'seg', '512x512', 'onnxruntime'),
    ]
    assert all(r['fps'] > 0 for r in rows)
    assert rows[0]['ratio'] == 1.0
    assert rows[1]['ratio'] == pytest.approx(rows[1]['fps'] / rows[0]['fps'])
    assert data['metric'] == []
    table = (out / 'deploy.md').read_text()
    assert f"| tiny | seg | 512x512 | onnxruntime | {rows[1]['fps']:.3f} |" \
        in table
