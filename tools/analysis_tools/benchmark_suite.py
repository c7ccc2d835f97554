"""Every hvt_mm family next to mmdet/mmseg's Swin-T, Swin-S, ResNet-50 and
PVTv2-B1, inside the same Mask R-CNN (800x1333) and the same UperNet
(512x512), in one run.

Examples:
    # the full run (hours on a 2-core CPU), writing the docs section + plot
    bash tools/analysis_tools/setup_originals_venv.sh   # once, optional
    python tools/analysis_tools/benchmark_suite.py \
        --originals-python .venv-originals/bin/python \
        --docs docs/benchmarks.md --plot docs/images/benchmark_pareto.png
    # a smoke test in a few minutes
    python tools/analysis_tools/benchmark_suite.py --quick \
        --models EfficientViT-B1 --compile-backend eager

Per model and task, in a fresh process (see :mod:`hvt_mm.analysis.suite`):
network img/s (median) of the eager training form, the inference form
(``deploy``), bf16 autocast (fp16 on CUDA) and the compiled inference form;
params, GMACs (mmengine's counter, SDPA included), peak memory, the largest
output difference to eager, the ratio to Swin-T, and for the bare
backbones the exponent of time vs pixel count from 512^2 to 2048^2 (eager
and compiled). With ``--originals-python`` the original implementations
(``fastervit`` package, timm's FastViT and EfficientViT) run in their own
virtualenv next to our bare backbones. Results: ``--out-dir`` /
``benchmark_suite.{json,md}``, the Pareto plot (img/s vs GMACs) and, with
``--docs``, the generated section of that markdown file (text outside it is
kept).
"""
import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence

from hvt_mm.analysis.report import environment, write_report
from hvt_mm.analysis.suite import (FORMS, QUICK, SuiteOptions,
                                   measure_isolated, options_from_dict)
from hvt_mm.analysis.suite_models import (TASKS, add_custom_argument,
                                          custom_model, select_models)
from hvt_mm.analysis.suite_report import (TASK_TITLES, exponent_table, img_s,
                                          index_records, originals_table,
                                          pareto_plot, ratio, replace_section,
                                          task_table)
from hvt_mm.analysis.timing import (add_timing_args, fill_timing_args,
                                    resolve_device)
from hvt_mm.cli.launch import UsageError

ORIGINALS_TOOL = __file__.replace('benchmark_suite.py',
                                  'benchmark_originals.py')
ORIGINAL_SETTINGS = ((224, 224, 8), (896, 896, 1))
QUICK_ORIGINAL_SETTINGS = ((224, 224, 1), )
SUITE_TIMING = dict(warmup=1, iters=1, repeats=3)
#: Acceptance targets the run is checked against (:func:`check_targets`).
#: Speed-up of the compiled inference form over the eager training form,
#: with outputs within DIFF_TARGET (relative) of the eager form.
COMPILED_SPEEDUP_TARGET = 1.5
DIFF_TARGET = 1e-4
#: ``(ours, reference, target)`` network-speed ratios in Mask R-CNN.
VERSUS_TARGETS = (('FasterViT-0', 'Swin-T', 1.5), ('FasterViT-2', 'Swin-S',
                                                   1.3))
#: Compiled bare-backbone time-vs-pixels exponent of these families.
EXPONENT_TARGET = 1.1
EXPONENT_FAMILIES = ('FasterViT', 'EfficientViT')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Side-by-side benchmark suite (writes tables, a Pareto '
        'plot and optionally the docs section).')
    parser.add_argument(
        '--models',
        nargs='+',
        default=[],
        help='suite model names (default: one or two per family + the '
        'baselines; see hvt_mm.analysis.suite_models)')
    parser.add_argument(
        '--all', action='store_true', help='every variant with a config')
    add_custom_argument(parser)
    parser.add_argument('--tasks', nargs='+', choices=TASKS, default=TASKS)
    parser.add_argument('--forms', nargs='+', choices=FORMS, default=FORMS)
    parser.add_argument(
        '--compile-backend',
        default='inductor',
        help='torch.compile backend of the compiled form (eager: trace '
        'only, for smoke tests)')
    parser.add_argument(
        '--no-exponent',
        action='store_true',
        help='skip the bare-backbone time-vs-pixels measurement')
    parser.add_argument(
        '--no-flops', action='store_true', help='skip FLOP counting')
    parser.add_argument(
        '--originals-python',
        help='python of the virtualenv from setup_originals_venv.sh')
    parser.add_argument(
        '--timeout',
        type=float,
        default=6 * 3600,
        help='seconds per model and task')
    parser.add_argument(
        '--from-json',
        help='re-render the report of a saved benchmark_suite.json instead '
        'of measuring')
    parser.add_argument('--out-dir', default='benchmark_results')
    parser.add_argument(
        '--plot',
        help='Pareto plot path (default: OUT_DIR/'
        'benchmark_pareto.png)')
    parser.add_argument(
        '--docs', help='markdown file whose generated section to replace')
    add_timing_args(
        parser, 'smoke test: tiny sizes (Mask R-CNN 128x192, UperNet 64x64, '
        'exponent 64^2 -> 128^2), one timed run')
    args = parser.parse_args(argv)
    # One image per timed run (whole networks take seconds on a CPU);
    # the full run takes the median of 3 runs.
    problem = fill_timing_args(
        args, dict(warmup=1, iters=1, repeats=1), defaults=SUITE_TIMING)
    if problem:
        raise UsageError(problem)
    try:
        args.model_list = select_models(args.models, args.all)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.custom:
        customs = [custom_model(*triple) for triple in args.custom]
        args.model_list = ([] if not args.models and not args.all else
                           args.model_list) + customs
    return args


def suite_options(args: argparse.Namespace) -> SuiteOptions:
    options = SuiteOptions(
        forms=tuple(args.forms),
        exponent_forms=() if args.no_exponent else ('eager', 'compiled'),
        warmup=args.warmup,
        iters=args.iters,
        repeats=args.repeats,
        compile_backend=args.compile_backend,
        device=args.device,
        threads=args.threads,
        flops=not args.no_flops)
    if args.quick:
        for key, value in QUICK.items():
            setattr(options, key, value)
    return options


def run_originals(args: argparse.Namespace, options: SuiteOptions,
                  models: Sequence) -> List[Dict]:
    """Original implementations (their venv) and our bare backbones at the
    same settings."""
    settings = QUICK_ORIGINAL_SETTINGS if args.quick else ORIGINAL_SETTINGS
    chosen = [m for m in models if m.original]
    cases = [[m.original, h, w, b] for m in chosen for h, w, b in settings]
    if not cases:
        return []
    cmd = [
        args.originals_python, ORIGINALS_TOOL,
        json.dumps(cases), '--warmup',
        str(options.warmup), '--iters',
        str(options.iters), '--repeats',
        str(options.repeats)
    ] + (['--threads', str(args.threads)] if args.threads else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    originals = [
        json.loads(line.split(' ', 1)[1]) for line in proc.stdout.splitlines()
        if line.startswith('HVT_ORIGINALS_RESULT ')
    ]
    if not originals:
        print('originals: no result: ' + proc.stderr.strip()[-300:])
    rows = []
    for model in chosen:
        ours = measure_isolated(
            model, 'backbone', options, args.timeout, settings=settings)
        for h, w, b in settings:
            row = dict(model=model.name, input=f'{h}x{w}:{b}')
            for r in ours['records']:
                if (r.get('height'), r.get('width')) == (h, w) and \
                        not r.get('error'):
                    row[r['form']] = r['img_s']
            for o in originals:
                if o['original_name'] == model.original and \
                        (o['height'], o['width']) == (h, w):
                    row['original_name'] = f"{o['original_name']} " \
                                           f"(torch {o['torch']})"
                    row['original_img_s'] = o.get('img_s')
                    row['note'] = o.get('error') or ''
            rows.append(row)
            print(f'originals {row}', flush=True)
    return rows


def check_targets(records: Sequence[Dict],
                  exponents: Sequence[Dict]) -> List[str]:
    """One line per target: met / missed / not measured, with numbers."""
    index = index_records(records)
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
                speedup = ratio(
                    img_s(index, model, task, 'compiled'),
                    img_s(index, model, task, 'eager'))
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
            value = ratio(
                img_s(index, ours, 'det', form),
                img_s(index, reference, 'det', form))
            if value is not None:
                parts.append(f'{form} vs {form} {value:.2f}x '
                             f"({'met' if value >= target else 'MISSED'})")
        best = ratio(
            img_s(index, ours, 'det', 'compiled'),
            img_s(index, reference, 'det', 'eager'))
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


def render(records: List[Dict], exponents: List[Dict], originals: List[Dict],
           options: SuiteOptions, args, plot: Optional[str]) -> str:
    """The markdown section (tables, targets, conditions)."""
    env = environment()
    threads = options.threads or env['threads']
    parts = [
        '## Side-by-side suite (`tools/analysis_tools/benchmark_suite.py`)',
        '',
        f"Measured with `{' '.join(['benchmark_suite.py'] + args.argv)}`: "
        f"{env['machine']}, torch {env['torch']}, {threads} "
        f"thread(s), device {options.device}"
        f"{'' if env['cuda_device'] is None else ' ' + env['cuda_device']}"
        f'; median of {options.repeats} run(s) of {options.iters} '
        f'image(s) after {options.warmup} warm-up call(s) (the first one '
        'compiles). Random weights, batch 1, network only (`mode=\'tensor\''
        '`, no data preprocessor, no NMS/mask pasting). GMACs: mmengine\'s '
        'counter (it reports MACs), SDPA included. Peak memory: resident '
        'memory above the model and input during one more call (CPU, '
        'allocator slack included). `deploy`: hvt_mm backbones in their '
        'inference form, BatchNorm folded elsewhere; `bf16`: deploy form '
        'under bfloat16 autocast (fp16 on CUDA; detectors: backbone + neck '
        'only); `compiled`: deploy form with backbone, neck and heads '
        f'compiled ({options.compile_backend}). Diffs: largest |difference| '
        'to the eager form over the largest eager output (detectors: FPN '
        'features and RPN outputs; segmentors: logits).',
    ]
    for task in ('det', 'seg'):
        if any(r['task'] == task for r in records):
            size = options.det_size if task == 'det' else options.seg_size
            parts += [
                '', f'### {TASK_TITLES[task]}, {size[0]}x{size[1]}', '',
                task_table(records, task)
            ]
    if exponents:
        (h1, w1), (h2, w2) = options.exponent_sizes
        parts += [
            '', f'### Bare backbones: time vs pixels, {h1}x{w1} -> {h2}x{w2}',
            '', 'Seconds per image (batch 1) and the exponent of time vs '
            'pixel count between the two sizes (1.0 = linear).', '',
            exponent_table(exponents)
        ]
    if originals:
        parts += [
            '', '### Original implementations (bare backbones, eager)', '',
            'Originals: `forward_features` in their own virtualenv '
            '(`setup_originals_venv.sh`: another torch build, run right '
            'before ours); ours: the detector config\'s backbone (four '
            'normalised output maps). LightViT has no PyPI package.', '',
            originals_table(originals)
        ]
    parts += ['', '### Targets', ''] + check_targets(records, exponents)
    if plot:
        parts += ['', f'![Pareto plot]({plot})']
    return '\n'.join(parts) + '\n'


def save(args: argparse.Namespace, options: SuiteOptions, records: List[Dict],
         exponents: List[Dict], originals: List[Dict], section: str) -> None:
    """Write ``benchmark_suite.{json,md}`` to the output folder."""
    write_report(
        args.out_dir,
        records,
        section,
        stem='benchmark_suite',
        exponents=exponents,
        originals=originals,
        options=asdict(options),
        argv=args.argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_args(argv)
        resolve_device(args.device)
    except (UsageError, RuntimeError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    args.argv = argv
    options = suite_options(args)
    if args.from_json:  # re-render a saved run
        with open(args.from_json) as f:
            saved = json.load(f)
        records, exponents = saved['results'], saved['exponents']
        originals, args.argv = saved['originals'], saved['argv']
        options = options_from_dict(saved['options'])
        args.model_list = []
    else:
        records, exponents, originals = [], [], []
    for model in args.model_list:
        for task in args.tasks:
            if task not in model.configs:
                continue
            result = measure_isolated(model, task, options, args.timeout)
            records += result['records']
            exponents += result['exponents']
            for r in result['records']:
                speed = r.get('img_s')
                print(
                    f"{model.name} {task} {r['form']}: " +
                    (f'{speed:.3f} img/s' if speed else f"{r['error']}"),
                    flush=True)
            # A run that is stopped keeps what it measured: re-render it
            # with --from-json.
            save(args, options, records, exponents, originals,
                 'Partial run: re-render with --from-json.')
    if args.originals_python:
        originals = run_originals(args, options, args.model_list)
    plot = pareto_plot(records, args.plot
                       or f'{args.out_dir}/benchmark_pareto.png')
    link = plot
    if plot and args.docs:  # relative to the markdown file
        link = os.path.relpath(plot, os.path.dirname(args.docs) or '.')
    section = render(records, exponents, originals, options, args, link)
    save(args, options, records, exponents, originals, section)
    if args.docs:
        with open(args.docs) as f:
            document = f.read()
        with open(args.docs, 'w') as f:
            f.write(replace_section(document, section))
    print(section)
    return 1 if records and all(r.get('error') for r in records) else 0


if __name__ == '__main__':
    sys.exit(main())
