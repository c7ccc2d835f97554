"""Network throughput (img/s) of mmseg segmentors / mmdet detectors and how
it scales with the input size.

Examples:
    python tools/analysis_tools/benchmark_segmentor.py \
        configs/efficientvit_seg_b1_ade20k.py
    python tools/analysis_tools/benchmark_segmentor.py \
        configs/efficientvit_seg_b1_ade20k.py \
        configs/upernet_fastvit_sa12_ade20k.py --sizes 512x512 1024x2048 \
        --device cuda --fuse-conv-bn
    python tools/analysis_tools/benchmark_segmentor.py \
        configs/efficientvit_seg_b0_cityscapes.py --quick

Times ``model(inputs, mode='tensor')`` (backbone + head, no data
preprocessor or post-processing) on random inputs of every ``--sizes``
entry, reports the median img/s and the exponent of time vs pixel count
between the smallest and the largest size (1.0 = linear). See
:mod:`hvt_mm.analysis.pipeline_benchmark`. Results go to ``--out-dir`` as
``benchmark_segmentor.json`` and ``.md`` and the table is printed.
"""
import argparse
import sys
from typing import Optional, Sequence

from hvt_mm.analysis.pipeline_benchmark import (DEFAULT_SIZES, QUICK_SIZES,
                                                QUICK_TIMING, benchmark_config,
                                                segmentor_table)
from hvt_mm.analysis.report import write_report
from hvt_mm.analysis.timing import (add_timing_args, fill_timing_args,
                                    parse_size, resolve_device)
from hvt_mm.cli.launch import CfgOptionsAction, UsageError, load_config

REPORT_STEM = 'benchmark_segmentor'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse and check the command line; raises :class:`UsageError`."""
    parser = argparse.ArgumentParser(
        description='Benchmark mmseg/mmdet configs: network img/s and its '
        'scaling with the input size.')
    parser.add_argument('configs', nargs='+', help='mmseg/mmdet config files')
    parser.add_argument(
        '--sizes',
        nargs='+',
        help=f'input sizes HxW (default: {" ".join(DEFAULT_SIZES)}; '
        f'--quick: {" ".join(QUICK_SIZES)})')
    parser.add_argument(
        '--batch', type=int, default=1, help='images per '
        'forward (1)')
    add_timing_args(
        parser, f'smoke test: sizes {" ".join(QUICK_SIZES)}, '
        '1 warm-up, 1 run of 1 iteration')
    parser.add_argument(
        '--fuse-conv-bn',
        action='store_true',
        help="fold BatchNorm into the preceding conv (mmcv fuse_conv_bn)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of every config, e.g. '
        'model.test_cfg.mode=whole')
    parser.add_argument(
        '--out-dir',
        default='benchmark_results',
        help=f'where {REPORT_STEM}.json and {REPORT_STEM}.md are written')
    args = parser.parse_args(argv)
    problem = fill_timing_args(args, QUICK_TIMING)
    if problem:
        raise UsageError(problem)
    if args.batch < 1:
        raise UsageError(f'--batch must be >= 1, got {args.batch}')
    try:
        args.sizes = [
            parse_size(s) for s in args.sizes or (
                QUICK_SIZES if args.quick else DEFAULT_SIZES)
        ]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark; exit code 2 for usage errors, 1 if nothing ran."""
    try:
        args = parse_args(argv)
    except UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    import torch

    try:  # configs and device first: a typo fails before any timing
        configs = [load_config(p, args.cfg_options) for p in args.configs]
        resolve_device(args.device)
    except (UsageError, RuntimeError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    records, scaling = [], []
    for cfg in configs:
        rows, summary = benchmark_config(cfg, args.sizes, args.batch,
                                         args.device, args.warmup, args.iters,
                                         args.repeats, args.fuse_conv_bn)
        records += rows
        if summary:
            scaling.append(summary)
    table = segmentor_table(records)
    write_report(
        args.out_dir, records, table, stem=REPORT_STEM, scaling=scaling)
    print(f'\n{table}\n')
    for s in scaling:
        print(f"{s['config']}: time ~ pixels^{s['exponent']:.3f} "
              f"({s['smallest']} -> {s['largest']})")
    print(f'written to {args.out_dir}/{REPORT_STEM}.{{json,md}}')
    return 1 if all(r.get('error') for r in records) else 0


if __name__ == '__main__':
    sys.exit(main())
