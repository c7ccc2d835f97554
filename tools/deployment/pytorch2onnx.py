"""Export an hvt_mm backbone or the EfficientViT segmentor to ONNX.

    python tools/deployment/pytorch2onnx.py CONFIG [CHECKPOINT] \
        --shape H W [--dynamic] [--out FILE] [--verify] [--cfg-options ...]

CONFIG is an mmdet/mmseg config (its backbone is exported; a segmentor with
``EfficientViTHead`` is exported whole, logits in tensor mode), a bare
backbone config (``model = dict(type='hvt_mm.FastViT', ...)``) or a backbone
spec such as ``EfficientViT:b1`` (see get_flops.py ``--backbone``).
CHECKPOINT (optional) is loaded strictly into that model. The backbone is
exported in its inference form (switch_to_deploy). The graph input is the
normalised image ``input`` (1, C, H, W); ``--dynamic`` makes H and W dynamic
(EfficientViT and FastViT; FasterViT and LightViT export per size and say
why). ``--verify`` runs the file in onnxruntime against PyTorch (at H x W
and, with --dynamic, also at a second size) and prints the max relative
error. Needs the ``[export]`` extra: pip install -e ".[export]".
"""
import argparse
import os
import os.path as osp
import sys
from typing import Optional, Sequence

from hvt_mm.analysis.model_spec import SPEC_HELP
from hvt_mm.cli.launch import CfgOptionsAction, UsageError


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export an hvt_mm backbone or the EfficientViT '
        'segmentor to ONNX.')
    parser.add_argument(
        'config',
        help='mmdet/mmseg or backbone config file, or a backbone spec '
        f'({SPEC_HELP})')
    parser.add_argument(
        'checkpoint', nargs='?', help='weights (default: random)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        required=True,
        metavar=('H', 'W'),
        help='input height and width to trace (and to verify)')
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='dynamic height/width (families that allow it)')
    parser.add_argument(
        '--out', help='output file (default: <config name>.onnx)')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare onnxruntime with PyTorch and print the error')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings, key=value')
    args = parser.parse_args(argv)
    if min(args.shape) < 1:
        parser.error(f'--shape needs positive H W, got {args.shape}')
    return args


def default_out(config: str) -> str:
    name = osp.splitext(
        osp.basename(config))[0] if config.endswith('.py') else config.replace(
            ':', '_').replace('=', '-')
    return f'{name}.onnx'


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401  (torch.onnx needs both)
        import onnxscript  # noqa: F401
    except ImportError as exc:
        print(
            f'error: ONNX export needs the [export] extra ({exc.name} is '
            'missing): pip install -e ".[export]"',
            file=sys.stderr)
        return 2
    from hvt_mm.deployment.onnx_export import (build_export_target,
                                               export_onnx,
                                               max_relative_errors)
    out = args.out or default_out(args.config)
    try:
        if args.checkpoint and not osp.isfile(args.checkpoint):
            raise UsageError(f'checkpoint {args.checkpoint!r} not found')
        target = build_export_target(args.config, args.checkpoint,
                                     args.cfg_options)
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        export_onnx(target, args.shape, out, args.dynamic)
    except UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    axes = 'dynamic H, W' if args.dynamic else \
        f'fixed {args.shape[0]}x{args.shape[1]}'
    print(f'wrote {out}: {target.kind} '
          f'{type(target.backbone).__name__} (inference form), input '
          f'(1, {target.backbone.in_channels}, H, W), {axes}, outputs '
          f'{", ".join(target.output_names)}')
    if args.verify:
        sizes = [tuple(args.shape)]
        if args.dynamic:
            sizes.append((args.shape[0] + 33, args.shape[1] + 17))
        errors = max_relative_errors(target, out, sizes)
        for (h, w), error in zip(sizes, errors):
            print(f'onnxruntime vs PyTorch at {h}x{w}: max relative error '
                  f'{error:.2e}')
        if max(errors) > 1e-4:
            print(
                'error: the ONNX outputs deviate by more than 1e-4',
                file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
