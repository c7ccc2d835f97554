"""Tables, the Pareto plot and the docs section written by
``tools/analysis_tools/benchmark_suite.py`` (records of :mod:`.suite`; the
tool checks its targets itself)."""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from .report import fmt_number, markdown_grid, record_table
from .suite import FORMS
from .suite_models import REFERENCE

TASK_TITLES = dict(
    det='Mask R-CNN (FPN, 1x heads), network forward',
    seg='UperNet (+ auxiliary FCN head), network forward')
PLOT_TITLES = dict(
    det='Mask R-CNN (FPN)', seg='UperNet (+ auxiliary FCN head)')
BEGIN = '<!-- benchmark_suite: begin (generated, do not edit) -->'
END = '<!-- benchmark_suite: end -->'


def index_records(records: Sequence[Dict]) -> Dict:
    """Records by ``(model, task, form)``."""
    return {(r['model'], r['task'], r['form']): r for r in records}


def img_s(index: Dict, model: str, task: str, form: str) -> Optional[float]:
    """img/s of one successful record of :func:`index_records`, else None.
    """
    record = index.get((model, task, form))
    if record is None or record.get('error'):
        return None
    return record.get('img_s')


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    """``a / b``; None when either is missing (or ``b`` is 0)."""
    return None if a is None or not b else a / b


def task_table(records: Sequence[Dict], task: str) -> str:
    """One row per model: size, cost, img/s per form, ratios, memory."""
    index = index_records(records)
    models = []
    for r in records:
        if r['task'] == task and r['model'] not in models:
            models.append(r['model'])
    columns = [('model', 'l'), ('params (M)', 'r'), ('GMACs', 'r')]
    columns += [(f'{form} img/s', 'r') for form in FORMS]
    columns += [('compiled / eager', 'r'), (f'eager x {REFERENCE}', 'r'),
                (f'compiled x {REFERENCE}', 'r'),
                ('peak MB eager / compiled', 'r'),
                ('max rel. diff deploy / bf16 / compiled', 'r'),
                ('compile s', 'r'), ('note', 'l')]
    rows = []
    for model in models:
        first = next(r for r in records
                     if r['model'] == model and r['task'] == task)
        speeds = {f: img_s(index, model, task, f) for f in FORMS}

        def get(form, key, digits):
            record = index.get((model, task, form)) or {}
            return fmt_number(record.get(key), digits)

        def diff(form):
            record = index.get((model, task, form)) or {}
            value = record.get('max_rel_diff')
            return '-' if value is None else f'{value:.0e}'

        errors = sorted({
            f"{r['form']}: {r['error']}"
            for r in records
            if r['model'] == model and r['task'] == task and r.get('error')
        })
        rows.append([
            model,
            fmt_number(first.get('params_m'), 1),
            fmt_number(first.get('flops_g'), 1)
        ] + [fmt_number(speeds[f], 3) for f in FORMS] + [
            fmt_number(ratio(speeds['compiled'], speeds['eager']), 2),
            fmt_number(
                ratio(speeds['eager'], img_s(index, REFERENCE, task, 'eager')),
                2),
            fmt_number(
                ratio(speeds['compiled'],
                      img_s(index, REFERENCE, task, 'compiled')), 2),
            f"{get('eager', 'peak_mem_mb', 0)} / "
            f"{get('compiled', 'peak_mem_mb', 0)}",
            f"{diff('deploy')} / {diff('bf16')} / {diff('compiled')}",
            get('compiled', 'first_call_s', 0), '; '.join(errors)[:200]
        ])
    return markdown_grid(columns, rows)


def exponent_table(exponents: Sequence[Dict]) -> str:
    """Bare-backbone seconds per image at two sizes and the exponent."""
    by_model: Dict[str, Dict[str, Dict]] = {}
    for e in exponents:
        by_model.setdefault(e['model'], {})[e['form']] = e
    columns = [('backbone', 'l')]
    sizes = next((e['sizes'] for e in exponents if e.get('sizes')), [])
    for form in ('eager', 'compiled'):
        columns += [(f'{form} s/img {s}', 'r') for s in sizes]
        columns += [(f'{form} exponent', 'r')]
    rows = []
    for model, forms in by_model.items():
        row = [model]
        for form in ('eager', 'compiled'):
            e = forms.get(form, {})
            seconds = e.get('seconds') or []
            row += [
                fmt_number(seconds[i] if i < len(seconds) else None, 3)
                for i in range(len(sizes))
            ]
            row.append(
                fmt_number(e.get('exponent'), 2)
                if not e.get('error') else f"error: {e['error'][:60]}")
        rows.append(row)
    return markdown_grid(columns, rows)


def originals_table(rows: Sequence[Dict]) -> str:
    """Original implementations (their venv) next to ours, bare backbones.
    """
    return record_table(
        rows,
        [('backbone', 'l', 'model', None), ('input', 'l', 'input', None),
         ('original', 'l', lambda r: r.get('original_name', '-'), None),
         ('original eager img/s', 'r', 'original_img_s', 2),
         ('ours eager', 'r', 'eager', 2), ('ours deploy', 'r', 'deploy', 2),
         ('ours compiled', 'r', 'compiled', 2),
         ('ours compiled / original', 'r',
          lambda r: ratio(r.get('compiled'), r.get('original_img_s')), 2),
         ('note', 'l', 'note', None)])


def pareto_plot(records: Sequence[Dict], path: str) -> Optional[str]:
    """img/s vs GMACs, one panel per task: eager (hollow) and compiled
    (filled) per model, labelled, with the compiled Pareto front. Returns
    the path, or None without matplotlib or without data."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    index = index_records(records)
    tasks = [t for t in ('det', 'seg') if any(r['task'] == t for r in records)]
    if not tasks:
        return None
    fig, axes = plt.subplots(
        1, len(tasks), figsize=(6.2 * len(tasks), 4.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        first = {}
        for r in records:
            if r['task'] == task and r.get('flops_g') is not None:
                first.setdefault(r['model'], r)
        front = []
        for model, r in first.items():
            flops = r['flops_g']
            eager = img_s(index, model, task, 'eager')
            best = img_s(index, model, task, 'compiled') or eager
            if best is None:
                continue
            ours = r['family'] not in ('baseline', 'custom')
            color = 'tab:blue' if ours else 'tab:gray'
            if eager is not None:
                ax.scatter(flops, eager, facecolors='none', edgecolors=color)
                ax.plot([flops, flops], [eager, best], color=color, lw=0.8)
            ax.scatter(flops, best, color=color)
            ax.annotate(
                model, (flops, best),
                textcoords='offset points',
                xytext=(4, 3),
                fontsize=7)
            front.append((flops, best))
        front.sort()
        pareto, top = [], 0.0
        for flops, speed in front:
            if speed > top:
                pareto.append((flops, speed))
                top = speed
        if pareto:
            ax.plot(*zip(*pareto), ls='--', color='tab:green', lw=0.8)
        size = next((f"{r['height']}x{r['width']}"
                     for r in records if r['task'] == task), '')
        ax.set_title(f'{PLOT_TITLES[task]} {size}', fontsize=9)
        ax.set_xlabel('GMACs per image')
        ax.set_ylabel('img/s (median)')
        ax.grid(alpha=0.3)
    fig.suptitle(
        'hollow: eager training form; filled: compiled inference form '
        '(blue: hvt_mm, grey: mmdet/mmseg); dashed: Pareto front',
        fontsize=8)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def replace_section(document: str, section: str) -> str:
    """``document`` with the text between :data:`BEGIN` and :data:`END`
    replaced by ``section`` (appended with the markers when absent)."""
    block = f'{BEGIN}\n{section.strip()}\n{END}'
    if BEGIN in document and END in document:
        head, _, rest = document.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + block + tail
    return document.rstrip() + '\n\n' + block + '\n'
