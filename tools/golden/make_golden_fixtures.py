"""Write golden fixtures: outputs of the original implementations.

Each case builds an original model from its own repository code (a local
checkout the user supplies; nothing is downloaded), gives it the seeded
weights of :func:`hvt_mm.utils.golden.seeded_state_dict`, runs a seeded
input in eval mode and stores, in ``tests/data/golden/<case>.pt``, the
source, the seeds, the key list (names and shapes, the official layout)
and subsampled outputs. ``tests/test_golden.py`` rebuilds the weights,
converts them with hvt_mm's converters and compares hvt_mm's outputs.
Never a test dependency; run it again when an original changes.

Usage (in .venv; ``--fastervit`` in the venv of
tools/analysis_tools/setup_originals_venv.sh, which has timm)::

    python tools/golden/make_golden_fixtures.py \\
        --lightvit PATH/hunto/LightViT \\
        --lightvit-cls PATH/hunto/image_classification_sota \\
        --fastvit PATH/apple/ml-fastvit --efficientvit PATH/efficientvit

Only what does not change outputs in eval mode is replaced where an
original's environment cannot be installed beside mmcv 2.x: timm's
initialisers, DropPath (identity at eval, drop rates are 0 here) and
registry decorators when timm is missing; mmcv 1.x ``runner`` decorators
and mmdet 2.x registries; unused imports of the EfficientViT repository
(triton, its training utilities).
"""
import argparse
import importlib.util
import subprocess
import sys
import types
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / 'tests' / 'data' / 'golden'
WEIGHT_SEED, INPUT_SEED = 0, 1
# COCO category ids of the official DINO heads' 91 outputs: used and not.
UNUSED_COCO_IDS = (0, 12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
COCO_CATEGORY_IDS = tuple(i for i in range(91) if i not in UNUSED_COCO_IDS)


def _load_golden_module():
    """hvt_mm.utils.golden by path: it needs torch only, not hvt_mm."""
    path = ROOT / 'hvt_mm' / 'utils' / 'golden.py'
    spec = importlib.util.spec_from_file_location('_golden', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _load_golden_module()


# ----------------------------------------------------------------- shims
class _Anything(types.ModuleType):
    """A module whose every attribute is a do-nothing callable/decorator."""

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)

        def anything(*args, **kwargs):
            if len(args) == 1 and callable(args[0]) and not kwargs:
                return args[0]
            return lambda f: f

        return anything


def _module(name: str, path: Path = None, **attrs) -> types.ModuleType:
    module = _Anything(name)
    if path is not None:
        module.__path__ = [str(path)]
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _shim_timm() -> None:
    """timm's names used by the originals, if timm cannot be imported."""
    try:
        import timm.models.layers  # noqa: F401
        return
    except Exception:  # torchvision does not load beside this torch
        pass
    from mmcv.cnn.bricks import DropPath

    def drop_path(x, drop_prob=0., training=False):
        return x  # eval mode: identity

    def noop_init(tensor, *args, **kwargs):
        return tensor

    _module('timm')
    _module('timm.models')
    _module(
        'timm.models.layers',
        DropPath=DropPath,
        drop_path=drop_path,
        trunc_normal_=noop_init,
        lecun_normal_=noop_init,
        to_2tuple=lambda x: x if isinstance(x, tuple) else (x, x))
    _module('timm.models.registry', register_model=lambda f: f)
    _module(
        'timm.data',
        IMAGENET_DEFAULT_MEAN=(0.485, 0.456, 0.406),
        IMAGENET_DEFAULT_STD=(0.229, 0.224, 0.225))


def _shim_openmmlab_1x() -> None:
    """mmcv 1.x runner decorators and mmdet 2.x registries."""
    import mmcv.cnn
    from mmengine.model import BaseModule, xavier_init
    if not hasattr(mmcv.cnn, 'xavier_init'):
        mmcv.cnn.xavier_init = xavier_init

    class Registry:

        def register_module(self, *args, **kwargs):
            return lambda cls: cls

    _module('mmcv.runner', BaseModule=BaseModule)
    _module('mmdet.models.builder', BACKBONES=Registry(), NECKS=Registry())


def _import_file(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _commit(repo: Path) -> str:
    try:
        return subprocess.check_output(
            ['git', '-C', str(repo), 'rev-parse', 'HEAD'], text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


# ----------------------------------------------------------------- cases
def _seed(model: nn.Module) -> Tuple[List, Dict[str, str]]:
    """Load seeded weights; return the key list and the aliases.

    Only parameters and BatchNorm statistics are seeded: the other
    buffers (index and coordinate tables) derive from the architecture.

    A tensor registered under two names (FasterViT's tokenizer conv is
    both ``pos_embed`` and ``to_global_feature.pos``) is drawn once: the
    key list names it once, ``aliases`` maps its other names to that one.
    """
    state = model.state_dict(keep_vars=True)
    first: Dict[int, str] = {}
    aliases = {}
    for name, tensor in state.items():
        owner = first.setdefault(id(tensor), name)
        if owner != name:
            aliases[name] = owner
    # Parameters and BN statistics; other buffers (index and coordinate
    # tables) are derived from the architecture and keep their values.
    params = {name for name, _ in model.named_parameters()}
    shapes = [(k, list(v.shape)) for k, v in state.items()
              if k not in aliases and (k in params or k.rsplit('.', 1)[-1] in (
                  'running_mean', 'running_var', 'num_batches_tracked'))]
    seeded = golden.seeded_state_dict(shapes, WEIGHT_SEED)
    golden.add_aliases(seeded, aliases)
    model.load_state_dict({**model.state_dict(), **seeded}, strict=True)
    return shapes, aliases


def _record(name: str, source: str, seeded: Tuple[List, Dict[str, str]],
            input_shape, outputs: Dict[str, torch.Tensor], **extra) -> None:
    shapes, aliases = seeded
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    fixture = dict(
        source=source,
        weight_seed=WEIGHT_SEED,
        input_seed=INPUT_SEED,
        input_shape=list(input_shape),
        keys=shapes,
        aliases=aliases,
        output_shapes={
            k: list(v.shape)
            for k, v in outputs.items()
        },
        outputs={
            k: golden.subsample(v)
            for k, v in outputs.items()
        },
        **extra)
    torch.save(fixture, OUT_DIR / f'{name}.pt')
    print(f'wrote {OUT_DIR / name}.pt: {len(shapes)} keys, '
          f'{sorted(outputs)}')


def _stage_hooks(stages, transform: Callable) -> Dict[str, torch.Tensor]:
    """Outputs of each stage's last block (the original loops over the
    blocks itself, so hooks on the stages would not run)."""
    found = {}
    for i, stage in enumerate(stages):
        stage[-1].register_forward_hook(
            lambda m, a, out, i=i: found.__setitem__(f'stage{i}',
                                                     transform(i, out)))
    return found


@torch.no_grad()
def lightvit_classification(repo: Path) -> None:
    """LightViT-T, classification code: stage maps (image tokens)."""
    _shim_timm()
    module = _import_file('_lightvit_cls', repo / 'lib/models/lightvit.py')
    model = module.lightvit_tiny().eval()
    seeded = _seed(model)
    x = golden.seeded_input((1, 3, 224, 224), INPUT_SEED)
    sizes = [(28, 28), (14, 14), (7, 7)]

    def image_map(i, tokens):
        h, w = sizes[i]
        return tokens[:, -h * w:].transpose(1, 2).reshape(1, -1, h, w)

    found = _stage_hooks(model.stages, image_map)
    logits = model(x)
    _record(
        'lightvit_t_classification',
        f'hunto/image_classification_sota@{_commit(repo)} '
        'lib/models/lightvit.py lightvit_tiny()',
        seeded,
        x.shape,
        dict(found, logits=logits),
        num_tokens=8)


@torch.no_grad()
def lightvit_detection(repo: Path) -> None:
    """LightViT-T detector form (512 tokens) + LightViTFPN, odd input."""
    _shim_timm()
    _shim_openmmlab_1x()
    backbone = _import_file('_lightvit_det', repo / 'detection/lightvit.py')
    neck = _import_file('_lightvit_fpn', repo / 'detection/lightvit_fpn.py')
    model = nn.Module()
    model.backbone = backbone.lightvit_tiny(
        out_indices=(0, 1, 2), stem_norm_eval=True)
    model.neck = neck.LightViTFPN(
        in_channels=[64, 128, 256],
        out_channels=256,
        num_outs=5,
        num_extra_trans_convs=1)
    model.eval()
    seeded = _seed(model)
    x = golden.seeded_input((1, 3, 200, 264), INPUT_SEED)
    feats = model.backbone(x)
    outs = model.neck(list(feats))
    outputs = {f'backbone{i}': f for i, f in enumerate(feats)}
    outputs.update({f'neck{i}': f for i, f in enumerate(outs)})
    _record(
        'lightvit_t_detection',
        f'hunto/LightViT@{_commit(repo)} detection/lightvit.py '
        'lightvit_tiny + detection/lightvit_fpn.py LightViTFPN',
        seeded,
        x.shape,
        outputs,
        num_tokens=512)


@torch.no_grad()
def fastvit(repo: Path) -> None:
    """FastViT-T8 with output norms (fork_feat), unfused and fused."""
    _shim_timm()
    sys.path.insert(0, str(repo))
    from models.fastvit import fastvit_t8
    from models.modules.mobileone import reparameterize_model
    model = fastvit_t8(fork_feat=True).eval()
    seeded = _seed(model)
    x = golden.seeded_input((1, 3, 128, 160), INPUT_SEED)
    unfused = model(x)
    fused = reparameterize_model(model).eval()(x)
    outputs = {f'unfused{i}': f for i, f in enumerate(unfused)}
    outputs.update({f'fused{i}': f for i, f in enumerate(fused)})
    _record(
        'fastvit_t8', f'apple/ml-fastvit@{_commit(repo)} '
        'models/fastvit.py fastvit_t8(fork_feat=True), '
        'models/modules/mobileone.py reparameterize_model', seeded, x.shape,
        outputs)


@torch.no_grad()
def fastervit() -> None:
    """FasterViT-0 (NVlabs' ``fastervit`` package, real timm): the map of
    each level before its downsample, and the final norm."""
    from importlib.metadata import version

    from fastervit.models.faster_vit import faster_vit_0_224
    model = faster_vit_0_224().eval()
    seeded = _seed(model)
    x = golden.seeded_input((1, 3, 224, 224), INPUT_SEED)
    found = {}
    for i, level in enumerate(model.levels):
        if level.downsample is not None:
            level.downsample.register_forward_pre_hook(
                lambda m, args, i=i: found.__setitem__(f'stage{i}', args[0]))
        else:
            level.register_forward_hook(
                lambda m, a, out, i=i: found.__setitem__(f'stage{i}', out))
    found['norm'] = model.forward_features(x)
    _record(
        'fastervit_0', f'fastervit=={version("fastervit")} (NVlabs\' '
        'PyPI package) fastervit/models/faster_vit.py faster_vit_0_224',
        seeded, x.shape, found)


def _official_dino(repo: Path, backbone_name: str) -> nn.Module:
    """The FasterViT DINO-4scale model of the official code, built from its
    config files, with the pure-PyTorch deformable attention of its own
    ``ops`` (the CUDA extension is not built) and the backbone built
    without its pretrained file."""
    root = repo / 'downstream/object_detection/dino'
    sys.path.insert(0, str(root))
    sys.modules.setdefault('MultiScaleDeformableAttention',
                           types.ModuleType('MultiScaleDeformableAttention'))
    from models.dino import backbone as dino_backbone
    from models.dino import dino as dino_model
    from models.dino.fastervit import build_fastervit
    from models.dino.ops.functions import ms_deform_attn_func
    from models.dino.ops.modules import ms_deform_attn
    from models.dino.position_encoding import build_position_encoding

    class PyTorchDeformableAttention:

        @staticmethod
        def apply(value, shapes, level_start, locations, weights, im2col):
            return ms_deform_attn_func.ms_deform_attn_core_pytorch(
                value, shapes, locations, weights)

    ms_deform_attn.MSDeformAttnFunction = PyTorchDeformableAttention
    settings: dict = {}
    for name in ('coco_transformer.py', f'DINO_4scale_{backbone_name}.py'):
        exec((root / 'config/DINO' / name).read_text(), settings)
    settings = {k: v for k, v in settings.items() if not k.startswith('_')}
    args = argparse.Namespace(
        **dict(settings, device='cpu', dataset_file='coco'))

    def build_backbone(args):
        body = build_fastervit(
            args.backbone, out_indices=tuple(args.return_interm_indices))
        joined = dino_backbone.Joiner(body, build_position_encoding(args))
        joined.num_channels = body.num_features[1:]
        return joined

    dino_model.build_backbone = build_backbone
    model, _, _ = dino_model.build_dino(args)
    return model.eval()


@torch.no_grad()
def fastervit_dino(repo: Path) -> None:
    """The published FasterViT-4-21K DINO-4scale detector: last-layer
    logits of the 80 COCO categories and boxes of all 900 queries.

    Trained COCO heads never score the 11 unused category ids of their 91
    outputs; random ones would, and could then win the encoder's top-k
    selection over the max class score, which mmdet's 80-class head does
    not see. Their biases are set to -20 (recorded as ``bias_overrides``).
    """
    model = _official_dino(repo, 'faster_vit_4_21k_224')
    from util.misc import nested_tensor_from_tensor_list
    seeded = _seed(model)
    overrides = {
        key: dict(rows=list(UNUSED_COCO_IDS), value=-20.0)
        for key in ('class_embed.0.bias',
                    'transformer.enc_out_class_embed.bias')
    }
    # In place on the parameters (shared by all decoder layers).
    golden.apply_overrides(model.state_dict(), overrides)
    # float64: the decoder pairs the i-th best of ~1700 encoder proposals
    # with the i-th query embedding, and in float32 two of 900 scores are
    # usually within rounding noise of each other, so the order (and every
    # output) would depend on the implementation's rounding.
    x = golden.seeded_input((1, 3, 256, 320), INPUT_SEED)
    out = model.double()(nested_tensor_from_tensor_list([x[0].double()]))
    outputs = dict(
        logits=out['pred_logits'][..., list(COCO_CATEGORY_IDS)],
        boxes=out['pred_boxes'])
    _record(
        'fastervit_4_21k_dino',
        f'NVlabs/FasterViT@{_commit(repo)} downstream/object_detection/dino '
        'config/DINO/DINO_4scale_faster_vit_4_21k_224.py',
        seeded,
        x.shape,
        outputs,
        bias_overrides=overrides,
        dtype='float64')


def _efficientvit_packages(repo: Path) -> None:
    """Package objects without their __init__ (which imports SAM, DC-AE
    and training code) and stand-ins for unused imports."""
    pkg = repo / 'efficientvit'
    for name, path in (('efficientvit', pkg), ('efficientvit.models',
                                               pkg / 'models'),
                       ('efficientvit.models.efficientvit',
                        pkg / 'models/efficientvit'), ('efficientvit.apps',
                                                       pkg / 'apps'),
                       ('efficientvit.apps.trainer', pkg / 'apps/trainer')):
        module = types.ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module
    _module('efficientvit.apps.utils')
    if importlib.util.find_spec('triton') is None:  # for RMSNorm only
        _module('triton').language = _module('triton.language')


#: The 11 released EfficientViT segmentation models.
EFFICIENTVIT_SEG = ('b0_cityscapes', 'b1_cityscapes', 'b2_cityscapes',
                    'b3_cityscapes', 'l1_cityscapes', 'l2_cityscapes',
                    'b1_ade20k', 'b2_ade20k', 'b3_ade20k', 'l1_ade20k',
                    'l2_ade20k')


@torch.no_grad()
def efficientvit(repo: Path) -> None:
    """Every released EfficientViT segmentor: logits and the last stage
    (for B1 ADE20K every stage map, the backbone fixture)."""
    _efficientvit_packages(repo)
    # The model zoo entry also sets each model's BN epsilon (1e-7 for L);
    # it imports the builders from the package, whose __init__ did not run.
    from efficientvit.models.efficientvit import seg
    vars(sys.modules['efficientvit.models.efficientvit']).update(
        (k, v) for k, v in vars(seg).items() if not k.startswith('_'))
    from efficientvit.seg_model_zoo import create_efficientvit_seg_model
    for name in EFFICIENTVIT_SEG:
        arch, dataset = name.split('_')
        model = create_efficientvit_seg_model(
            f'efficientvit-seg-{arch}-{dataset}', pretrained=False).eval()
        seeded = _seed(model)
        x = golden.seeded_input((1, 3, 160, 224), INPUT_SEED)
        feats = model.backbone(x)
        keep = ('stage0', 'stage1', 'stage2', 'stage3',
                'stage4') if (name == 'b1_ade20k') else ('stage_final', )
        outputs = {k: feats[k] for k in keep}
        outputs['logits'] = model(x)
        _record(
            f'efficientvit_{name}', f'mit-han-lab/efficientvit@'
            f'{_commit(repo)} efficientvit/seg_model_zoo.py '
            f"create_efficientvit_seg_model('efficientvit-seg-{arch}-"
            f"{dataset}', pretrained=False)", seeded, x.shape, outputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--lightvit', type=Path, help='hunto/LightViT')
    parser.add_argument(
        '--lightvit-cls',
        type=Path,
        help='hunto/image_classification_sota (LightViT\'s classification '
        'code)')
    parser.add_argument('--fastvit', type=Path, help='apple/ml-fastvit')
    parser.add_argument(
        '--efficientvit', type=Path, help='mit-han-lab/efficientvit')
    parser.add_argument(
        '--fastervit-dino',
        type=Path,
        help='NVlabs/FasterViT checkout (its DINO code; needs timm, '
        'torchvision and scipy: the venv of setup_originals_venv.sh)')
    parser.add_argument(
        '--fastervit',
        action='store_true',
        help='FasterViT from the installed fastervit package (needs timm '
        'and torchvision: tools/analysis_tools/setup_originals_venv.sh)')
    args = parser.parse_args()
    cases = [(args.lightvit_cls, lightvit_classification),
             (args.lightvit, lightvit_detection), (args.fastvit, fastvit),
             (args.efficientvit, efficientvit),
             (args.fastervit_dino, fastervit_dino)]
    if not (args.fastervit or any(repo for repo, _ in cases)):
        parser.error('name at least one original')
    for repo, case in cases:
        if repo is not None:
            case(repo.resolve())
    if args.fastervit:
        fastervit()


if __name__ == '__main__':
    main()
