"""tools/analysis_tools/benchmark_backbones.py on a dummy net, in process."""
import json
import os.path as osp
import runpy

from hvt_mm.analysis.backbone_benchmark import markdown_table
from tests.dummy_bench_net import dummy_registered, num_params

TOOL = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools',
    'analysis_tools', 'benchmark_backbones.py')


def test_tool_quick_in_process(tmp_path, capsys):
    main = runpy.run_path(TOOL)['main']
    with dummy_registered():
        rc = main([
            'DummyBenchNet:m', 'NoSuchNet:0', '--quick', '--no-isolation',
            '--out-dir',
            str(tmp_path)
        ])
    assert rc == 0
    results = json.loads((tmp_path / 'benchmark.json').read_text())
    records = results['results']
    assert [(r['spec'], r['height'], r['width'], r['batch'], r['mode'])
            for r in records] == [
                ('DummyBenchNet:m', 64, 64, 2, 'eval'),
                ('DummyBenchNet:m', 64, 64, 2, 'train'),
                ('DummyBenchNet:m', 65, 97, 1, 'eval'),
                ('DummyBenchNet:m', 65, 97, 1, 'train'),
                ('NoSuchNet:0', 64, 64, 2, 'eval'),
                ('NoSuchNet:0', 64, 64, 2, 'train'),
                ('NoSuchNet:0', 65, 97, 1, 'eval'),
                ('NoSuchNet:0', 65, 97, 1, 'train'),
            ]
    for r in records[:4]:
        assert r['error'] is None and r['img_s'] > 0
        assert len(r['img_s_runs']) == 3 and r['iters'] == 2
        assert r['params_m'] == num_params(8) / 1e6
    for r in records[4:]:
        assert "Unknown model type 'NoSuchNet'" in r['error']
    table = (tmp_path / 'benchmark.md').read_text()
    assert table.count('| DummyBenchNet:m |') == 4
    assert markdown_table(records) in capsys.readouterr().out
