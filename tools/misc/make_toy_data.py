"""Write the toy COCO, ADE20K and Cityscapes datasets (no downloads).

Examples::

    python tools/misc/make_toy_data.py               # all three under data/
    python tools/misc/make_toy_data.py --datasets coco --seed 1 --force
    python tools/misc/make_toy_data.py --num-train 8 --num-val 4 \
        --root /tmp/toy

A dataset whose stamp file matches the requested seed and sizes is skipped,
so a second run writes nothing. The generators live in
:mod:`hvt_mm.datasets.toy`; see docs/toy_data.md.
"""
import argparse
import sys
from typing import List, Optional

from hvt_mm.datasets.toy import MAKERS, make_all


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write deterministic toy datasets in COCO, ADE20K and '
        'Cityscapes format.')
    parser.add_argument(
        '--root', default='data', help='output folder (default: data)')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument(
        '--datasets',
        nargs='+',
        choices=sorted(MAKERS),
        default=list(MAKERS),
        help='which datasets to write (default: all)')
    parser.add_argument(
        '--num-train',
        type=int,
        help='training images per dataset (default: 200 COCO, 100 ADE20K, '
        '60 Cityscapes)')
    parser.add_argument(
        '--num-val',
        type=int,
        help='validation images per dataset (default: 50 COCO, 25 ADE20K, '
        '15 Cityscapes)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='regenerate even when an up-to-date copy exists, and replace '
        'a folder this tool did not write')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    sizes = {
        k: v
        for k, v in (('num_train', args.num_train), ('num_val', args.num_val))
        if v is not None
    }
    try:
        results = make_all(
            args.root,
            seed=args.seed,
            force=args.force,
            datasets=args.datasets,
            **sizes)
    except (ValueError, FileExistsError) as err:
        print(f'make_toy_data: error: {err}', file=sys.stderr)
        return 2
    for name, res in results.items():
        if res.generated:
            print(f'{name}: wrote {res.path} in {res.seconds:.1f} s')
        else:
            print(f'{name}: {res.path} is up to date (seed {args.seed}); '
                  'skipped (use --force to regenerate)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
