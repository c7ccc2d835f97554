"""Convert an official checkpoint into a slim hvt_mm state dict.

    python tools/model_converters/convert_checkpoint.py fastervit \
        fastervit_0_224_1k.pth.tar checkpoints/fastervit_0_mm.pth

The input may be any official container (timm ``state_dict`` + ``args``,
``model``, bare); it is read with ``weights_only=True`` (an
``argparse.Namespace`` is allowed, arbitrary code is not). The output holds
tensors only and loads with ``init_cfg=dict(type='Pretrained', ...)``.
With ``--segmentor`` (EfficientViT) the whole segmentation model is
converted to mmseg names (``backbone.*``, ``decode_head.*``). ``dino``
converts a whole official FasterViT DINO detector (IDEA-Research layout) to
mmdet's ``DINO`` names, for ``tools/test.py configs/dino_4scale_*.py OUT``.
"""
import argparse
import importlib
import os
import os.path as osp
import sys

import torch

from hvt_mm.checkpoint import load_checkpoint_file, unwrap_state_dict

FAMILIES = ('fastervit', 'efficientvit', 'lightvit', 'fastvit', 'dino')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('family', choices=FAMILIES)
    parser.add_argument('src', help='official checkpoint file')
    parser.add_argument('dst', help='output .pth file')
    parser.add_argument(
        '--segmentor',
        action='store_true',
        help='convert a full segmentation checkpoint '
        '(backbone + head) to mmseg names')
    return parser.parse_args(argv)


def convert_file(family: str,
                 src: str,
                 dst: str,
                 segmentor: bool = False) -> int:
    """Convert ``src`` to ``dst``; return the number of tensors written."""
    module = importlib.import_module(f'hvt_mm.checkpoint.{family}')
    state = unwrap_state_dict(load_checkpoint_file(src))
    if segmentor:
        if not hasattr(module, 'convert_segmentor'):
            raise SystemExit(f'error: {family} has no segmentor conversion')
        state = module.convert_segmentor(state)
    else:
        state = module.convert(state)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save({k: v.contiguous().clone() for k, v in state.items()}, dst)
    return len(state)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.src):
        print(f'error: {args.src!r} not found', file=sys.stderr)
        return 2
    count = convert_file(args.family, args.src, args.dst, args.segmentor)
    print(f'wrote {count} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
