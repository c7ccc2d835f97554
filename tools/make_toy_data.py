"""Write the toy COCO, ADE20K and Cityscapes datasets (no downloads).

Examples::

    python tools/make_toy_data.py                    # all three under data/
    python tools/make_toy_data.py --datasets coco --seed 1 --force
    python tools/make_toy_data.py --num-train 8 --num-val 4 --root /tmp/toy

A dataset whose stamp file matches the requested seed and sizes is skipped,
so a second run takes well under a second. See docs/toy_data.md.
"""
import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import List, Optional


def load_toy_data() -> ModuleType:
    """Import ``hvt_mm.utils.toy_data`` without the model package.

    The generator needs only numpy and OpenCV. Loading the checkout's file
    directly skips ``hvt_mm/__init__`` (torch, mmcv, every backbone), so data
    can be made before the OpenMMLab stack is installed and in a fraction of
    a second; an installed hvt_mm is the fallback when this file was copied
    out of the checkout.
    """
    path = Path(__file__).resolve().parents[1] / 'hvt_mm/utils/toy_data.py'
    if not path.is_file():
        from hvt_mm.utils import toy_data
        return toy_data
    spec = importlib.util.spec_from_file_location('_hvt_mm_toy_data', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


toy_data = load_toy_data()


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
        choices=sorted(toy_data.MAKERS),
        default=list(toy_data.MAKERS),
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
        for k, v in (('num_train', args.num_train), ('num_val',
                                                       args.num_val))
        if v is not None
    }
    try:
        results = toy_data.make_all(
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
