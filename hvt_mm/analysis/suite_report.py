"""Tables, target checks, the Pareto plot and the docs section written by
``tools/analysis_tools/benchmark_suite.py`` (records of :mod:`.suite`)."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from .report import fmt_number, markdown_grid
from .suite import FORMS
from .suite_models import REFERENCE

TASK_TITLES = dict(
    det='Mask R-CNN (FPN, 1x heads), network forward',
    seg='UperNet (+ auxiliary FCN head), network forward')
PLOT_TITLES = dict(
    det='Mask R-CNN (FPN)', seg='UperNet (+ auxiliary FCN head)')
BEGIN = '<!-- benchmark_suite: begin (generated, do not edit) -->'
END = '<!-- benchmark_suite: end -->'
#: Speed-up of the compiled inference form over the eager training form.
COMPILED_SPEEDUP_TARGET = 1.5
DIFF_TARGET = 1e-4
#: ``(ours, reference, target)`` network-speed ratios in Mask R-CNN.
VERSUS_TARGETS = (('FasterViT-0', 'Swin-T', 1.5), ('FasterViT-2', 'Swin-S',
                                                   1.3))
EXPONENT_TARGET = 1.1
EXPONENT_FAMILIES = ('FasterViT', 'EfficientViT')


def _index(records: Sequence[Dict]) -> Dict:
    return {(r['model'], r['task'], r['form']): r for r in records}


def _img_s(index: Dict, model: str, task: str, form: str) -> Optional[float]:
    record = index.get((model, task, form))
    if record is None or record.get('error'):
        return None
    return record.get('img_s')


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return None if a is None or not b else a / b


def task_table(records: Sequence[Dict], task: str) -> str:
    """One row per model: size, cost, img/s per form, ratios, memory."""
    index = _index(records)
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
        speeds = {f: _img_s(index, model, task, f) for f in FORMS}

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
            fmt_number(_ratio(speeds['compiled'], speeds['eager']), 2),
            fmt_number(
                _ratio(speeds['eager'], _img_s(index, REFERENCE, task,
                                               'eager')), 2),
            fmt_number(
                _ratio(speeds['compiled'],
                       _img_s(index, REFERENCE, task, 'compiled')), 2),
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
    columns = [('backbone', 'l'), ('input', 'l'), ('original', 'l'),
               ('original eager img/s', 'r'), ('ours eager', 'r'),
               ('ours deploy', 'r'), ('ours compiled', 'r'),
               ('ours compiled / original', 'r'), ('note', 'l')]
    table = [[
        r['model'], r['input'],
        r.get('original_name', '-'),
        fmt_number(r.get('original_img_s'), 2),
        fmt_number(r.get('eager'), 2),
        fmt_number(r.get('deploy'), 2),
        fmt_number(r.get('compiled'), 2),
        fmt_number(_ratio(r.get('compiled'), r.get('original_img_s')), 2),
        r.get('note', '')
    ] for r in rows]
    return markdown_grid(columns, table)


def check_targets(records: Sequence[Dict],
                  exponents: Sequence[Dict]) -> List[str]:
    """One line per target: met / missed / not measured, with numbers."""
    index = _index(records)
    lines = []
    families = sorted({
        r['family']
        for r in records if r['family'] not in ('baseline', 'custom')
    })
    for task in ('det', 'seg'):
        for family in families:
            models = sorted({
                r['model']
                for r in records if r['family'] == family and r['task'] == task
            })
            for model in models:
                speedup = _ratio(
                    _img_s(index, model, task, 'compiled'),
                    _img_s(index, model, task, 'eager'))
                diff = (index.get((model, task, 'compiled'))
                        or {}).get('max_rel_diff')
                if speedup is None or diff is None:
                    lines.append(f'- {model} {task}: compiled vs eager not '
                                 'measured')
                    continue
                met = speedup >= COMPILED_SPEEDUP_TARGET and \
                    diff <= DIFF_TARGET
                lines.append(
                    f"- {model} {task}: compiled+deploy {speedup:.2f}x the "
                    f"eager training form (target >= "
                    f"{COMPILED_SPEEDUP_TARGET}), max rel. diff {diff:.0e} "
                    f"(<= {DIFF_TARGET:.0e}): "
                    f"{'met' if met else 'MISSED'}")
    for ours, reference, target in VERSUS_TARGETS:
        parts = []
        for form in ('eager', 'compiled'):
            ratio = _ratio(
                _img_s(index, ours, 'det', form),
                _img_s(index, reference, 'det', form))
            if ratio is not None:
                parts.append(f'{form} vs {form} {ratio:.2f}x '
                             f"({'met' if ratio >= target else 'MISSED'})")
        best = _ratio(
            _img_s(index, ours, 'det', 'compiled'),
            _img_s(index, reference, 'det', 'eager'))
        if best is not None:
            parts.append(f'ours compiled vs {reference} eager {best:.2f}x')
        lines.append(f'- {ours} vs {reference} in Mask R-CNN (target >= '
                     f'{target}x): ' + ('; '.join(parts) or 'not measured'))
    for e in exponents:
        if e['family'] in EXPONENT_FAMILIES and e['form'] == 'compiled':
            value = e.get('exponent')
            status = 'not measured' if value is None else (
                f'{value:.2f} '
                f"({'met' if value <= EXPONENT_TARGET else 'MISSED'})")
            lines.append(f"- {e['model']} compiled backbone time-vs-pixels "
                         f"exponent (target <= {EXPONENT_TARGET}): {status}")
    return lines


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
    index = _index(records)
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
            eager = _img_s(index, model, task, 'eager')
            best = _img_s(index, model, task, 'compiled') or eager
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
