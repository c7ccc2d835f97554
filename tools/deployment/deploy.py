"""Deploy a whole detector or segmentor with mmdeploy.

``python tools/deployment/deploy.py DEPLOY_CFG MODEL_CFG [CHECKPOINT]
[--img IMAGE] [--work-dir DIR] [--verify] [--eval]``

DEPLOY_CFG is an mmdeploy deploy config (ours: ``configs/deploy/``);
MODEL_CFG an mmdet/mmseg config. Writes ``DIR/end2end.onnx`` (the
end-to-end model: NMS, RoIAlign and masks as mmdeploy exports them) and the
backend's files (OpenVINO: ``end2end.xml``/``.bin``). ``--verify`` prints,
as JSON, how far the deployed prediction on IMAGE is from PyTorch's
(``vs_pytorch``) and the graph's outputs from the rewritten PyTorch model
it was traced from (``vs_traced``);
``--eval`` runs both over MODEL_CFG's test set and prints both metrics
(mAP / mIoU), img/s and the per-image agreement. Needs the ``[deploy]``
extra (``make env`` installs it).
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
from typing import Optional, Sequence

import numpy as np

from hvt_mm.cli.launch import CfgOptionsAction, UsageError, load_config


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('deploy_cfg', help='mmdeploy deploy config')
    parser.add_argument('model_cfg', help='mmdet/mmseg model config')
    parser.add_argument('checkpoint', nargs='?', help='model checkpoint')
    parser.add_argument(
        '--img',
        help='image to trace with and verify on (default: a random one '
        'of the deploy input size)')
    parser.add_argument('--work-dir', default='work_dirs/deploy')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare the deployed prediction with PyTorch\'s')
    parser.add_argument(
        '--eval',
        action='store_true',
        help='evaluate PyTorch and the deployed model on the test set')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        default={},
        help='override model-config settings, as tools/train.py')
    return parser.parse_args(argv)


def _image(path: Optional[str], deploy_cfg: str):
    if path:
        if not osp.isfile(path):
            raise UsageError(f'--img {path!r} not found')
        return path
    from mmdeploy.utils import get_input_shape
    from mmdeploy.utils import load_config as load_deploy
    width, height = get_input_shape(load_deploy(deploy_cfg)[0]) or (512, 512)
    return (np.random.RandomState(0).rand(height, width, 3) * 255).astype(
        np.uint8)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        from hvt_mm.deployment import mmdeploy_support, verification
    except ImportError as exc:
        raise UsageError(
            f'deploying needs mmdeploy ({exc}); run `make env` or install '
            'the [deploy] extra') from exc
    cfg = load_config(args.model_cfg, args.cfg_options)
    if args.checkpoint:  # the whole model's weights replace the pretrained
        cfg.model.backbone.init_cfg = None
    with tempfile.TemporaryDirectory() as tmp:
        model_cfg = osp.join(tmp, 'model_cfg.py')
        cfg.dump(model_cfg)
        image = _image(args.img, args.deploy_cfg)
        backend_files = mmdeploy_support.deploy(
            args.deploy_cfg,
            model_cfg,
            args.checkpoint,
            image,
            args.work_dir,
            device=args.device)
        print(f'exported {" ".join(backend_files)}')
        if args.verify:
            print(
                json.dumps(
                    verification.verify(args.deploy_cfg, model_cfg,
                                        args.checkpoint, backend_files, image,
                                        args.device)))
        if args.eval:
            report = verification.evaluate(args.deploy_cfg, model_cfg,
                                           args.checkpoint, backend_files,
                                           args.device)
            print(json.dumps(report))
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        sys.exit(2)
