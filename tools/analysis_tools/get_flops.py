"""Count MACs ("flops", mmengine convention) and parameters of a model.

Examples:
    python tools/analysis_tools/get_flops.py \
        configs/mask_rcnn_fastervit_0_coco.py --shape 800 1333
    python tools/analysis_tools/get_flops.py --backbone FasterViT:0 \
        --shape 224 224
    python tools/analysis_tools/get_flops.py \
        --backbone FastViT:sa12:deploy=True

Unlike mmdet/mmseg ``get_flops.py`` this counts
``scaled_dot_product_attention`` and needs no dataset: the model runs on a
random, already normalised (1, 3, H, W) tensor (data preprocessor and NMS
excluded).
"""
import argparse
import json
import sys
from typing import Optional, Sequence

import torch.nn as nn


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from hvt_mm.analysis.model_spec import SPEC_HELP
    from hvt_mm.cli.launch import CfgOptionsAction
    parser = argparse.ArgumentParser(
        description='Count MACs of an hvt_mm config or backbone.')
    parser.add_argument('config', nargs='?', help='mmdet/mmseg config file')
    parser.add_argument('--backbone', help=f'bare backbone spec: {SPEC_HELP}')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        help='input H W (one value: square). Defaults: backbone 224 224, '
        'detector 800 1333, segmentor 512 512.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings, e.g. model.backbone.arch=2')
    parser.add_argument(
        '--depth', type=int, default=2, help='module depth of the table')
    parser.add_argument('--out', help='also write the report as JSON here')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.backbone is None):
        parser.error('give exactly one of CONFIG or --backbone SPEC')
    if args.shape is not None and len(args.shape) not in (1, 2):
        parser.error(f'--shape takes H W or one size, got {args.shape}')
    return args


def build_from_config(path: str,
                      cfg_options: Optional[dict] = None) -> nn.Module:
    """Build ``cfg.model`` of an mmdet/mmseg config without weights."""
    from mmengine.registry import init_default_scope

    from hvt_mm.analysis.model_builder import build_model_from_config
    from hvt_mm.cli.launch import load_config
    model, scope = build_model_from_config(load_config(path, cfg_options))
    init_default_scope(scope)  # heads may build sub-modules lazily
    return model


def default_shape(model: nn.Module, is_backbone: bool) -> tuple:
    if is_backbone:
        return (224, 224)
    if type(model).__module__.startswith('mmseg.'):
        return (512, 512)
    return (800, 1333)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    from hvt_mm.analysis.flops import count_model_flops, format_count
    from hvt_mm.analysis.model_spec import build_from_spec
    from hvt_mm.cli.launch import UsageError
    if args.backbone:
        model, name = build_from_spec(args.backbone), args.backbone
    else:
        try:
            model = build_from_config(args.config, args.cfg_options)
        except UsageError as exc:
            print(f'error: {exc}', file=sys.stderr)
            return 2
        name = args.config
    if args.shape is None:
        shape = default_shape(model, args.backbone is not None)
    else:
        shape = tuple(args.shape * 2 if len(args.shape) == 1 else args.shape)
    in_channels = getattr(model, 'in_channels', 3)
    if not isinstance(in_channels, int):
        in_channels = 3
    report = count_model_flops(model, shape, in_channels, args.depth)

    print(f'{name}  input (1, {in_channels}, {shape[0]}, {shape[1]})')
    print(f'MACs ("flops"): {format_count(report.flops)}   '
          f'params: {format_count(report.params)}')
    print('\n| module | MACs |\n|:--|--:|')
    for module, count in sorted(report.by_module.items()):
        print(f'| {module or "(total)"} | {format_count(count)} |')
    print('\n| operator | MACs |\n|:--|--:|')
    for op, count in sorted(report.by_operator.items(), key=lambda x: -x[1]):
        print(f'| {op} | {format_count(count)} |')
    if report.unsupported:
        print('\nNot counted (element-wise or unsupported): ' +
              ', '.join(f'{op} x{n}'
                        for op, n in sorted(report.unsupported.items())))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(dict(model=name, **vars(report)), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
