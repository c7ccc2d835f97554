"""Throughput (img/s) and peak memory of hvt_mm backbones.

Examples:
    python tools/analysis_tools/benchmark_backbones.py FasterViT:0 \
        FastViT:sa12:deploy=True
    python tools/analysis_tools/benchmark_backbones.py FasterViT:0 \
        FasterViT:0:with_cp=True --device cuda --modes train
    python tools/analysis_tools/benchmark_backbones.py FastViT:t8 --quick

Defaults: 224x224 batch 8 and 800x1333 batch 1, eval and train modes,
median img/s of 5 runs x 10 iterations after 5 warm-up iterations. See
:mod:`hvt_mm.analysis.backbone_benchmark` for exactly what is timed and
:mod:`hvt_mm.analysis.memory` for what "peak memory" means on CPU and
CUDA. Results go to ``--out-dir`` as ``benchmark.json`` and
``benchmark.md`` and the table is printed.
"""
import argparse
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from hvt_mm.analysis.backbone_benchmark import (DEFAULT_SETTINGS, MODES,
                                                PRECISIONS, QUICK_SETTINGS,
                                                Case, markdown_table,
                                                measure_case)
from hvt_mm.analysis.graph_breaks import count_graph_breaks
from hvt_mm.analysis.isolation import error_text
from hvt_mm.analysis.model_spec import SPEC_HELP, build_from_spec
from hvt_mm.analysis.report import record_table, write_report
from hvt_mm.analysis.timing import (add_timing_args, fill_timing_args,
                                    parse_setting)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Benchmark hvt_mm backbones (img/s, peak memory).')
    parser.add_argument('specs', nargs='+', help=f'model specs: {SPEC_HELP}')
    parser.add_argument(
        '--settings',
        nargs='+',
        help='input settings HxW:BATCH (default: '
        f'{" ".join(DEFAULT_SETTINGS)}; --quick: {" ".join(QUICK_SETTINGS)})')
    parser.add_argument('--modes', nargs='+', choices=MODES, default=MODES)
    parser.add_argument(
        '--precisions',
        nargs='+',
        choices=tuple(PRECISIONS),
        default=['fp32'],
        help='autocast precisions to time: bf16 on CPU (AVX-512 BF16), fp16 '
        'on CUDA (default: fp32)')
    add_timing_args(
        parser, 'tiny sizes, 1 warm-up, 2 iterations x 3 runs (smoke test)')
    parser.add_argument(
        '--no-isolation',
        action='store_true',
        help='run every case in this process (faster start; CPU peak '
        'memory is then not reported)')
    parser.add_argument(
        '--imports',
        nargs='+',
        default=[],
        help='extra modules to import (backbones registered elsewhere)')
    parser.add_argument(
        '--graph-breaks',
        action='store_true',
        help='also print the torch.compile graph breaks of each spec '
        '(torch._dynamo.explain in eval mode on the first setting, batch 1)')
    parser.add_argument(
        '--out-dir',
        default='benchmark_results',
        help='where benchmark.json and benchmark.md are written')
    args = parser.parse_args(argv)
    problem = fill_timing_args(args, dict(warmup=1, iters=2, repeats=3))
    if problem:
        parser.error(problem)
    if args.settings is None:
        args.settings = list(
            QUICK_SETTINGS if args.quick else DEFAULT_SETTINGS)
    try:
        args.settings = [parse_setting(s) for s in args.settings]
    except ValueError as exc:
        parser.error(str(exc))
    return args


def build_cases(args: argparse.Namespace) -> List[Case]:
    return [
        Case(spec, h, w, b, mode, args.device, args.warmup, args.iters,
             args.repeats, args.threads, precision) for spec in args.specs
        for h, w, b in args.settings for mode in args.modes
        for precision in args.precisions
    ]


def run_cases(cases: Sequence[Case], isolated: bool,
              imports: Sequence[str]) -> List[Dict]:
    import importlib
    for module in imports:
        importlib.import_module(module)
    records = []
    for case in cases:
        record = measure_case(case, isolated, imports)
        print(
            f"{case.spec} {case.height}x{case.width}:{case.batch} "
            f"{case.mode}: " +
            (f"{record['img_s']:.2f} img/s"
             if record.get('error') is None else f"error: {record['error']}"),
            flush=True)
        records.append(record)
    return records


def graph_break_rows(specs: Sequence[str], setting: Tuple[int, int,
                                                          int]) -> List[Dict]:
    """Graph breaks of each spec (eval mode, one image of ``setting``)."""
    height, width, _ = setting
    rows = []
    for spec in specs:
        try:
            model = build_from_spec(spec).eval()
            x = torch.randn(1, getattr(model, 'in_channels', 3), height, width)
            report = count_graph_breaks(model, (x, ))
            rows.append(
                dict(
                    spec=spec,
                    graphs=report.graphs,
                    graph_breaks=report.breaks,
                    reason=report.reasons[0] if report.reasons else ''))
        except Exception as exc:  # reported in the table
            rows.append(
                dict(
                    spec=spec,
                    graphs=None,
                    graph_breaks=None,
                    reason=error_text(exc)))
    return rows


def graph_break_table(rows: Sequence[Dict]) -> str:
    return record_table(rows, [('model', 'l', 'spec', None),
                               ('graphs', 'r', 'graphs', None),
                               ('graph breaks', 'r', 'graph_breaks', None),
                               ('first reason', 'l', 'reason', None)])


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cases = build_cases(args)
    records = run_cases(cases, not args.no_isolation, args.imports)
    table = markdown_table(records)
    extra = {}
    if args.graph_breaks:
        breaks = graph_break_rows(args.specs, args.settings[0])
        extra['graph_breaks'] = breaks
        table += '\n\nGraph breaks (torch.compile, eval mode):\n\n' + \
            graph_break_table(breaks)
    write_report(args.out_dir, records, table, **extra)
    print(f'\n{table}\n\nwritten to {args.out_dir}/benchmark.{{json,md}}')
    return 1 if all(r.get('error') for r in records) else 0


if __name__ == '__main__':
    sys.exit(main())
