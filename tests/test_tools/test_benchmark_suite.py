"""benchmark_suite.py: a --quick run on one tiny model, and the report
pieces (tables, targets, docs section) on known records."""
import json
from pathlib import Path

import pytest

from hvt_mm.analysis.suite_models import (DEFAULT_MODELS, load_task_config,
                                          select_models)
from hvt_mm.analysis.suite_report import (BEGIN, END, replace_section,
                                          task_table)
from tests.backbone_families import FASTVIT
from tests.tool_loader import load_tool
from tests.toy_configs import toy_det_cfg, toy_seg_cfg

TINY = dict(type='FastViT', arch=FASTVIT.cases[0].arch)


def rerender(tool, out: Path, again: Path) -> str:
    """Render ``out/benchmark_suite.json`` into ``again`` without measuring;
    return the markdown."""
    assert tool.main([
        '--from-json',
        str(out / 'benchmark_suite.json'), '--out-dir',
        str(again)
    ]) == 0
    return (again / 'benchmark_suite.md').read_text()


@pytest.mark.slow
def test_quick_run_on_a_tiny_model(tmp_path, toy_data):
    det, seg = tmp_path / 'det.py', tmp_path / 'seg.py'
    toy_det_cfg(toy_data, tmp_path, TINY).dump(det)
    toy_seg_cfg(toy_data, tmp_path, TINY).dump(seg)
    docs = tmp_path / 'benchmarks.md'
    docs.write_text('# Benchmarks\n\nHand-written note.\n\n'
                    f'{BEGIN}\nold table\n{END}\n\n## Notes kept\n')
    out = tmp_path / 'out'
    tool = load_tool('tools/analysis_tools/benchmark_suite.py')
    code = tool.main([
        '--quick', '--custom', 'tiny',
        str(det),
        str(seg), '--compile-backend', 'eager', '--threads', '1', '--out-dir',
        str(out), '--docs',
        str(docs), '--plot',
        str(tmp_path / 'images' / 'pareto.png')
    ])
    assert code == 0
    data = json.loads((out / 'benchmark_suite.json').read_text())
    records = data['results']
    assert {(r['task'], r['form'])
            for r in records} == {(t, f)
                                  for t in ('det', 'seg')
                                  for f in ('eager', 'deploy', 'bf16',
                                            'compiled')}
    for r in records:
        assert r['error'] is None, r
        assert r['img_s'] > 0 and r['flops_g'] > 0 and r['params_m'] > 0
        # Inference form and compiled form compute the same function.
        limit = 0.05 if r['form'] == 'bf16' else 1e-4
        assert r['max_rel_diff'] <= limit, r
    assert [e['form'] for e in data['exponents']] == ['eager', 'compiled']
    assert all(e['exponent'] is not None for e in data['exponents'])
    png = (tmp_path / 'images' / 'pareto.png').read_bytes()
    assert png.startswith(b'\x89PNG')
    text = docs.read_text()
    assert text.startswith('# Benchmarks\n\nHand-written note.\n')
    assert text.endswith('## Notes kept\n')
    assert 'old table' not in text and '| tiny |' in text
    assert '](images/pareto.png)' in text  # relative to the docs file
    # A saved run renders again without measuring.
    again = rerender(tool, out, tmp_path / 'again')
    first = (out / 'benchmark_suite.md').read_text()
    assert again.split('### Mask')[1].split('![')[0] == \
        first.split('### Mask')[1].split('![')[0]


def _records(model, family, speeds, diff=1e-6):
    return [
        dict(
            model=model,
            family=family,
            task='det',
            form=form,
            img_s=speed,
            max_rel_diff=diff,
            params_m=1.0,
            flops_g=2.0,
            error=None) for form, speed in speeds.items()
    ]


def test_targets_and_tables_from_known_records():
    records = (
        _records('FasterViT-0', 'FasterViT', dict(eager=1.0, compiled=1.6)) +
        _records('Swin-T', 'baseline', dict(eager=0.5, compiled=1.2)) +
        _records('LightViT-T', 'LightViT', dict(eager=1.0, compiled=1.2)))
    exponents = [
        dict(
            model='FasterViT-0',
            family='FasterViT',
            form='compiled',
            exponent=1.05),
        dict(
            model='EfficientViT-B1',
            family='EfficientViT',
            form='compiled',
            exponent=1.3)
    ]
    tool = load_tool('tools/analysis_tools/benchmark_suite.py')
    lines = tool.check_targets(records, exponents)
    assert any(
        line.startswith('- FasterViT-0 det: compiled+deploy 1.60x')
        and line.endswith(': met') for line in lines)
    assert any(
        line.startswith('- LightViT-T det: compiled+deploy 1.20x')
        and line.endswith('MISSED') for line in lines)
    versus = next(
        line for line in lines if line.startswith('- FasterViT-0 vs Swin-T'))
    assert 'eager vs eager 2.00x (met)' in versus
    assert 'compiled vs compiled 1.33x (MISSED)' in versus
    assert '- FasterViT-2 vs Swin-S in Mask R-CNN (target >= 1.3x): ' \
        'not measured' in lines
    assert any('FasterViT-0 compiled backbone' in line and '1.05 (met)' in line
               for line in lines)
    assert any('EfficientViT-B1 compiled' in line and '1.30 (MISSED)' in line
               for line in lines)
    table = task_table(records, 'det')
    row = next(r for r in table.splitlines() if r.startswith('| Swin-T'))
    # eager, deploy, bf16, compiled, compiled/eager, x Swin-T twice
    assert '| 0.500 | - | - | 1.200 | 2.40 | 1.00 | 1.00 |' in row


def test_replace_section_keeps_the_rest():
    doc = f'intro\n{BEGIN}\nold\n{END}\noutro\n'
    assert replace_section(doc, 'new') == f'intro\n{BEGIN}\nnew\n{END}\n' \
        'outro\n'
    assert replace_section('intro\n', 'new') == \
        f'intro\n\n{BEGIN}\nnew\n{END}\n'


def test_suite_models_build_their_configs():
    names = [m.name for m in DEFAULT_MODELS]
    for needed in ('FasterViT-0', 'FasterViT-2', 'Swin-T', 'Swin-S',
                   'ResNet-50', 'PVTv2-B1'):
        assert needed in names
    with pytest.raises(ValueError, match='Unknown suite model'):
        select_models(['Swin-XL'])
    # Baselines sit in the same Mask R-CNN / UperNet with their widths.
    pvt = select_models(['pvtv2-b1'])[0]
    det = load_task_config(pvt, 'det')
    assert det.model.backbone.type == 'mmdet.PyramidVisionTransformerV2'
    assert det.model.neck.in_channels == [64, 128, 320, 512]
    seg = load_task_config(pvt, 'seg')
    assert seg.model.decode_head.in_channels == [64, 128, 320, 512]
    assert seg.model.auxiliary_head.in_channels == 320
    ours = load_task_config(select_models(['FasterViT-0'])[0], 'det')
    assert ours.model.backbone.type == 'hvt_mm.FasterViT'


def test_a_stopped_run_keeps_what_it_measured(tmp_path, monkeypatch):
    """Each finished model and task is saved at once: Ctrl-C during the next
    one leaves a JSON that --from-json renders."""
    tool = load_tool('tools/analysis_tools/benchmark_suite.py')
    finished = dict(
        records=[
            dict(r, height=64, width=64, batch=1)
            for r in _records('tiny', 'FastViT', {'eager': 2.0})
        ],
        exponents=[])
    calls = []

    def measure_isolated(model, task, options, timeout):
        calls.append(task)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return finished

    monkeypatch.setattr(tool, 'measure_isolated', measure_isolated)
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        tool.main([
            '--custom', 'tiny', 'det.py', 'seg.py', '--no-flops', '--out-dir',
            str(out)
        ])
    assert calls == ['det', 'seg']
    saved = json.loads((out / 'benchmark_suite.json').read_text())
    assert saved['results'] == finished['records']
    assert '| tiny |' in rerender(tool, out, tmp_path / 'again')
