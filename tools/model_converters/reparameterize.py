"""Switch the hvt_mm backbone of a trained model to its inference form.

    python tools/model_converters/reparameterize.py CONFIG CHECKPOINT OUT \
        [--cfg-options ...]

CONFIG is the (training) mmdet/mmseg config or a bare backbone config
(``model = dict(type='hvt_mm.FastViT', ...)``); CHECKPOINT the trained
weights (mmengine container or bare state dict). The model is built from
CONFIG, loaded strictly and put in eval mode; every hvt_mm backbone in it
(any family: FasterViT, EfficientViT, LightViT, FastViT) runs
``switch_to_deploy()`` (BatchNorms folded into convs, FastViT branches
merged, fixed position tables precomputed; necks and heads are left as
they are), the backbone outputs are checked against the training form's
on a random image, and OUT gets a tensors-only state dict. To use it, set
``deploy=True`` on the backbone in the config and load OUT (printed note).
"""
import argparse
import copy
import os
import os.path as osp
import sys
from typing import Optional, Sequence

import torch
import torch.nn as nn

from hvt_mm.checkpoint import load_checkpoint_file, unwrap_state_dict
from hvt_mm.cli.launch import CfgOptionsAction
from hvt_mm.models.backbones import HVTBackbone

NOTE = """\
Reparameterized weights written to {out}.
To run inference with them, build the backbone in its fused form and load
the file, e.g. in a copy of your config:

    model = dict(backbone=dict(deploy=True, init_cfg=None))
    load_from = '{out}'          # or pass it to tools/test.py

(on the command line: --cfg-options model.backbone.deploy=True
model.backbone.init_cfg=None). Do not train the fused model: BatchNorm
statistics are baked in; keep training from the unfused checkpoint.
"""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config', help='training config (mmdet/mmseg/'
        'backbone)')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('out', help='output file for the fused state dict')
    parser.add_argument(
        '--input-size',
        type=int,
        nargs=2,
        default=(224, 224),
        metavar=('H', 'W'),
        help='random input used to verify the backbone')
    parser.add_argument(
        '--no-verify',
        action='store_true',
        help='skip the before/after output comparison')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config entries, key=value')
    return parser.parse_args(argv)


def build_model(config: str, cfg_options: Optional[dict] = None) -> nn.Module:
    """Build ``cfg.model`` in the config's default scope, without init."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model_cfg = copy.deepcopy(cfg.model)
    backbone = model_cfg.get('backbone', model_cfg)
    if backbone.get('deploy', False):
        raise SystemExit(
            'error: the config builds the backbone with deploy=True; pass the '
            'training config (unfused model) that produced the checkpoint.')
    return MODELS.build(model_cfg)


def fuse(model: nn.Module) -> int:
    """Switch every hvt_mm backbone of ``model`` to its inference form, in
    place (eval mode); return how many backbones there were.

    Only backbones: the config's ``backbone.deploy=True`` rebuilds exactly
    that form, so the written state dict loads strictly.
    """
    model.eval()
    roots = [m for m in model.modules() if isinstance(m, HVTBackbone)]
    for module in roots:
        module.switch_to_deploy()
    return len(roots)


def _probe(model: nn.Module, image: torch.Tensor):
    backbone = getattr(model, 'backbone', model)
    with torch.no_grad():
        return backbone(image)


def reparameterize(config: str,
                   checkpoint: str,
                   out: str,
                   cfg_options: Optional[dict] = None,
                   input_size: Sequence[int] = (224, 224),
                   verify: bool = True) -> float:
    """Fuse a trained model and save it; return the max relative deviation.

    The deviation compares backbone outputs before and after fusion on a
    random image (0.0 when ``verify`` is False).
    """
    model = build_model(config, cfg_options)
    state = unwrap_state_dict(load_checkpoint_file(checkpoint))
    model.load_state_dict(state, strict=True)
    model.eval()
    deviation = 0.0
    if verify:
        channels = getattr(getattr(model, 'backbone', model), 'in_channels', 3)
        image = torch.randn(1, channels, *input_size)
        before = _probe(model, image)
    if fuse(model) == 0:
        raise SystemExit('error: nothing to reparameterize in this model '
                         '(it has no hvt_mm backbone).')
    if verify:
        after = _probe(model, image)
        for ref, new in zip(before, after):
            scale = ref.abs().max().clamp_min(1e-12)
            deviation = max(deviation, float((ref - new).abs().max() / scale))
        if deviation > 1e-4:
            raise SystemExit(
                f'error: fused outputs deviate by {deviation:.2e} (relative) '
                f'from the unfused model; not writing {out}.')
    fused = {
        k: v.detach().contiguous().clone()
        for k, v in model.state_dict().items()
    }
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(fused, out)
    return deviation


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            print(f'error: {path!r} not found', file=sys.stderr)
            return 2
    deviation = reparameterize(args.config, args.checkpoint, args.out,
                               args.cfg_options, args.input_size,
                               not args.no_verify)
    if not args.no_verify:
        print(f'max relative deviation of backbone outputs: {deviation:.2e}')
    print(NOTE.format(out=args.out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
