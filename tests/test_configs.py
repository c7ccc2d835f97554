"""Every shipped config: the zoo is complete, each config parses, builds (on
the meta device) with consistent channels, datasets and evaluators, and the
smallest variant of each (method, dataset, family) trains one iteration and
tests one iteration on the toy data through mmengine's Runner."""
import ast
import copy
import functools
import importlib.util
import os
import os.path as osp
import re
import uuid
from collections import defaultdict
from typing import Dict, NamedTuple, Optional

import mmengine.config.config as mm_config
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DATASETS, METRICS, MODELS, DefaultScope

from hvt_mm.datasets.toy import TOY_COCO_CLASSES, TOY_COCO_METAINFO
from hvt_mm.registry import MODELS as HVT_MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(ROOT, 'configs')
DEMO = 'demo_mask_rcnn_fastervit_0_toy_coco.py'
ZOO_JSON = osp.join(ROOT, 'docs', 'model_zoo.json')
REGENERATE = 'python tools/analysis_tools/model_zoo.py --only {}'
CONFIGS = sorted(n for n in os.listdir(CONFIG_DIR) if n.endswith('.py'))

FAMILIES = {
    'fastervit': 'FasterViT',
    'efficientvit': 'EfficientViT',
    'lightvit': 'LightViT',
    'fastvit': 'FastViT',
}
# Official release of each family's ImageNet weights (zoo_research notes).
WEIGHTS = {
    'FasterViT':
    'https://huggingface.co/ahatamiz/FasterViT/resolve/main/'
    'fastervit_{arch}_224_1k.pth.tar',
    'EfficientViT':
    'https://huggingface.co/han-cai/efficientvit-cls/'
    'resolve/main/efficientvit_{arch}_r224.pt',
    'LightViT':
    'https://github.com/hunto/LightViT/releases/download/v0.0.1/'
    'lightvit_{arch}',
    'FastViT':
    'https://docs-assets.developer.apple.com/ml-research/models/'
    'fastvit/image_classification_models/fastvit_{arch}.pth.tar',
}
LIGHTVIT_FILES = {
    't': 'tiny_78.7.ckpt',
    's': 'small_80.9.ckpt',
    'b': 'base_82.1.ckpt'
}
DATASETS_OF = {
    'coco': ('CocoDataset', 'CocoMetric'),
    'ade20k': ('ADE20KDataset', 'IoUMetric'),
    'cityscapes': ('CityscapesDataset', 'IoUMetric'),
}
METHODS = ('cascade_mask_rcnn', 'mask_rcnn', 'upernet', 'fpn',
           'efficientvit_seg', 'dino_4scale')
# A published recipe other than the method's default, after the backbone.
RECIPES = ('lvfpn_1x', 'lvfpn_3x_ms')
NAME = re.compile(r'^(?P<method>' + '|'.join(METHODS) + r')_(?P<backbone>.+?)'
                  r'(?:_(?P<recipe>' + '|'.join(RECIPES) + r'))?_'
                  r'(?P<dataset>' + '|'.join(DATASETS_OF) + r')\.py$')

# The zoo the configs must provide, exactly (issue 9).
ALL17 = [
    'fastervit_0', 'fastervit_1', 'fastervit_2', 'fastervit_3', 'fastervit_4',
    'efficientvit_b1', 'efficientvit_b2', 'efficientvit_b3', 'efficientvit_l1',
    'efficientvit_l2', 'lightvit_t', 'lightvit_s', 'lightvit_b',
    'fastvit_sa12', 'fastvit_sa24', 'fastvit_sa36', 'fastvit_ma36'
]
CITYSCAPES = [
    'fastervit_2', 'fastervit_3', 'efficientvit_b2', 'efficientvit_l1',
    'lightvit_s', 'fastvit_sa24'
]
EFFICIENTVIT_SEG = [('b0', 'cityscapes')
                    ] + [(v, d) for v in ('b1', 'b2', 'b3', 'l1', 'l2')
                         for d in ('ade20k', 'cityscapes')]


def expected_configs() -> set:
    names = {DEMO}
    for backbone in ALL17:
        names |= {
            f'mask_rcnn_{backbone}_coco.py',
            f'cascade_mask_rcnn_{backbone}_coco.py',
            f'upernet_{backbone}_ade20k.py'
        }
        if backbone.startswith('fastvit_'):  # the FastViT paper's setting
            names.add(f'fpn_{backbone}_ade20k.py')
    names |= {f'upernet_{b}_cityscapes.py' for b in CITYSCAPES}
    names |= {f'efficientvit_seg_{v}_{d}.py' for v, d in EFFICIENTVIT_SEG}
    # The published LightViT detectors (hunto/LightViT detection/).
    names |= {
        f'mask_rcnn_lightvit_{v}_{r}_coco.py'
        for v in 'tsb'
        for r in RECIPES
    }
    # The FasterViT DINO detectors (NVlabs/FasterViT downstream/).
    names |= {
        f'dino_4scale_fastervit_{v}_coco.py'
        for v in ('0', '1', '2', '3', '4', '4_21k')
    }
    return names


class ConfigName(NamedTuple):
    method: str
    family: str  # key of FAMILIES
    arch: str
    dataset: str  # key of DATASETS_OF
    recipe: str = ''  # one of RECIPES or '' (the method's default)

    @property
    def group(self) -> tuple:
        return self.method, self.recipe, self.family, self.dataset


def parse_name(name: str) -> ConfigName:
    """``upernet_fastvit_sa12_ade20k.py`` -> its method, family, arch and
    dataset (the demo reads as its full-size sibling)."""
    if name == DEMO:
        return ConfigName('mask_rcnn', 'fastervit', '0', 'coco')
    match = NAME.match(name)
    assert match, f'{name} does not follow {{method}}_{{backbone}}_{{dataset}}'
    method, backbone, dataset = match.group('method', 'backbone', 'dataset')
    recipe = match.group('recipe') or ''
    if method == 'efficientvit_seg':
        return ConfigName(method, 'efficientvit', backbone, dataset, recipe)
    family, _, arch = backbone.partition('_')
    assert family in FAMILIES, f'{name}: unknown family {family!r}'
    return ConfigName(method, family, arch, dataset, recipe)


def parent_of(name: str, required: bool = True):
    """The ``_base_`` of a config file as written (read without executing):
    a path, or a list of paths; None for a file without one when not
    ``required``."""
    with open(osp.join(CONFIG_DIR, name), encoding='utf-8') as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and \
                getattr(node.targets[0], 'id', None) == '_base_':
            return ast.literal_eval(node.value)
    assert not required, f'{name} has no _base_'
    return None


def backbone_base_of(name: str) -> Optional[str]:
    """The ``./_base_/backbones/`` file of a config composed of a method
    base and a backbone base (``_base_ = [method, backbone]``), else None."""
    base = parent_of(name)
    if isinstance(base, str):
        return None
    assert len(base) == 2 and base[0].startswith('./_base_/') and \
        base[1].startswith('./_base_/backbones/'), \
        f'{name}: _base_ must be [method base, backbone base], not {base}'
    return base[1]


def backbone_root(path: str) -> str:
    """The family's root backbone base that a backbone base extends."""
    parent = parent_of(path[2:], required=False)
    if parent is None:
        return path
    return backbone_root('./_base_/backbones/' + parent[2:])


def group_heads() -> Dict[tuple, str]:
    """(method, family, dataset) -> the group's family config: the one on a
    ``_base_/`` file alone (the start of a chain of siblings: EfficientViT-B0
    on Cityscapes, whose variant is not in ALL17) or else, among configs
    composed of a method base and a backbone base, the first variant of
    ALL17 (smallest first)."""
    heads = {}
    for name in sorted(CONFIGS, key=_zoo_order, reverse=True):
        if name == DEMO:
            continue
        base = parent_of(name)
        if backbone_base_of(name) is not None or base.startswith('./_base_/'):
            heads[parse_name(name).group] = name
    return heads


def _zoo_order(name: str) -> float:
    parsed = parse_name(name)
    backbone = f'{parsed.family}_{parsed.arch}'
    if backbone == 'fastervit_4_21k':  # the DINO detector's FasterViT-4
        return ALL17.index('fastervit_4') + 0.5
    return ALL17.index(backbone) if backbone in ALL17 else -1


HEADS = sorted(group_heads().values())


@pytest.fixture(scope='module', autouse=True)
def fast_base_lookup():
    """mmengine resolves every ``mmdet::``/``mmseg::`` base by first loading
    all ~200 metafiles of the package (about 1 s per base) to look for a
    model of that name; ``_base_/`` files are never model names, so the
    lookup fails anyway and the base path is used. Skip that scan here."""
    original = mm_config._get_external_cfg_path

    def lookup(package_path: str, cfg_file: str) -> str:
        if cfg_file.startswith('_base_/'):
            raise ValueError('base configs have no metafile entry')
        return original(package_path, cfg_file)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mm_config, '_get_external_cfg_path', lookup)
        yield


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def zoo_tool():
    """tools/analysis_tools/model_zoo.py as a module."""
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'model_zoo.py')
    spec = importlib.util.spec_from_file_location('model_zoo', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=None)
def zoo_measurements() -> dict:
    return zoo_tool().load_measurements(ZOO_JSON)['models']


def test_zoo_is_complete_and_variants_inherit_their_sibling():
    expected = expected_configs()
    assert set(CONFIGS) == expected, (
        f'missing: {sorted(expected - set(CONFIGS))}, '
        f'unexpected: {sorted(set(CONFIGS) - expected)}')
    members = defaultdict(list)
    for name in CONFIGS:
        if name != DEMO:
            members[parse_name(name).group].append(name)
    heads = group_heads()
    assert set(heads) == set(members), 'every group needs one family config'
    for group, names in members.items():
        head_base = parent_of(heads[group])
        method_base = head_base if isinstance(head_base, str) else head_base[0]
        for name in names:
            base = parent_of(name)
            if isinstance(base, str):  # one chain: variants extend a sibling
                if name != heads[group]:
                    assert base.startswith('./') \
                        and parse_name(base[2:]).group == group, \
                        f'{name} must inherit a sibling of {group}, not {base}'
                continue
            # The group's method base and the variant's own backbone base,
            # which extends its family's root backbone base (the smallest
            # variant's, the first of ALL17).
            parsed = parse_name(name)
            own = f'./_base_/backbones/{parsed.family}_{parsed.arch}.py'
            assert base == [method_base, own], \
                f'{name} must inherit {method_base} and {own}, not {base}'
            root = next(f'./_base_/backbones/{b}.py' for b in ALL17
                        if b.startswith(parsed.family + '_'))
            assert parent_of(own[2:], required=False) in (
                None, './' + osp.basename(root)) and \
                backbone_root(own) == root, f'{own} must extend {root}'
    assert parent_of(DEMO) == './mask_rcnn_fastervit_0_coco.py'


def header_of(name: str) -> str:
    """The leading comment block of a config file."""
    lines = []
    with open(osp.join(CONFIG_DIR, name), encoding='utf-8') as f:
        for line in f:
            if not line.startswith('#'):
                break
            lines.append(line[1:].strip())
    return ' '.join(lines)


REPRODUCES = ('published checkpoint', 'published recipe',
              "paper's setting, details ours", 'ours', 'toy demo')


def test_metafile_describes_every_config():
    import yaml
    with open(osp.join(CONFIG_DIR, 'metafile.yml'), encoding='utf-8') as f:
        meta = yaml.safe_load(f)
    models = {m['Name'] + '.py': m for m in meta['Models']}
    assert sorted(models) == CONFIGS
    collections = {c['Name'] for c in meta['Collections']}
    datasets = {'coco': 'COCO', 'ade20k': 'ADE20K', 'cityscapes': 'Cityscapes'}
    for name, entry in models.items():
        parsed = parse_name(name)
        assert entry['Config'] == f'configs/{name}'
        assert entry['In Collection'] == FAMILIES[parsed.family]
        assert entry['In Collection'] in collections
        assert entry['Dataset'] in meta['Input sizes']
        if name == DEMO:
            assert entry['Dataset'] == 'Toy COCO'
            continue
        assert entry['Dataset'] == datasets[parsed.dataset]
        # The config's header names the same paper number (or none) and
        # flags the same numbers as unverified.
        header = header_of(name)
        # Where it departs from the original authors' recipe, said in both.
        assert ' '.join(entry['Recipe'].split()) in header, name
        assert entry['Reproduces'] in REPRODUCES, name
        assert ('Checkpoint' in entry) == ('lvfpn' in name
                                           or '4_21k' in name), name
        paper = entry.get('Paper')
        if paper is None:
            assert 'Paper: none' in header, name
            assert 'UNVERIFIED' not in header, name
            continue
        assert isinstance(paper['Verified'], bool) and paper['Source']
        for value in paper['Metrics'].values():
            assert isinstance(value, float) and f'{value}' in header, name
        assert ('UNVERIFIED' in header) == (not paper['Verified']), name


def test_model_zoo_doc_is_rendered_from_the_metafile():
    tool = zoo_tool()
    meta = tool.load_metafile(tool.METAFILE)
    assert set(zoo_measurements()) == {m['Name'] for m in meta['Models']}
    with open(osp.join(ROOT, 'docs', 'model_zoo.md'), encoding='utf-8') as f:
        assert f.read() == tool.render(meta, tool.load_measurements(
            ZOO_JSON)), 'run python tools/analysis_tools/model_zoo.py ' \
            '--render-only after editing configs/metafile.yml'


def _sync_bn_to_bn(node) -> None:
    """SyncBN needs a process group; building off-runner uses plain BN."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        for value in node.values():
            _sync_bn_to_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _sync_bn_to_bn(value)


def _as_list(heads) -> list:
    """One head, or the per-stage list of a cascade (config or module)."""
    sequences = (list, tuple, torch.nn.ModuleList)
    return list(heads) if isinstance(heads, sequences) else [heads]


def _check_weights(cfg: Config, parsed: ConfigName, family: str) -> None:
    init_cfg = cfg.model.backbone.init_cfg
    if parsed.arch == 'b0' or osp.basename(cfg.filename) == DEMO:
        assert init_cfg is None  # no official B0 file; the demo trains
        return  # from scratch
    assert init_cfg.type == 'Pretrained'
    arch = LIGHTVIT_FILES[parsed.arch] if family == 'LightViT' \
        else parsed.arch
    expected = WEIGHTS[family].format(arch=arch)
    if parsed.arch == '4_21k':  # the ImageNet-21K FasterViT-4
        expected = expected.replace('4_21k_224_1k', '4_21k_224_w14')
    assert init_cfg.checkpoint == expected
    assert init_cfg.get('prefix') == ('backbone.'
                                      if family == 'EfficientViT' else None)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_parses_and_builds(name):
    cfg = load(name)
    parsed = parse_name(name)
    family = FAMILIES[parsed.family]

    assert cfg.custom_imports == dict(
        imports=['hvt_mm'], allow_failed_imports=False)
    assert cfg.default_scope == ('mmdet'
                                 if parsed.dataset == 'coco' else 'mmseg')
    assert 'hvt_mm.BenchmarkHook' in [h['type'] for h in cfg.custom_hooks]
    backbone = cfg.model.backbone
    assert backbone.type == f'hvt_mm.{family}'
    # FasterViT-4-21K: the DINO detector's name for arch '4_21k_224'.
    assert backbone.arch == {
        '4_21k': '4_21k_224'
    }.get(parsed.arch, parsed.arch)
    _check_weights(cfg, parsed, family)
    dataset_type, metric_type = DATASETS_OF[parsed.dataset]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.type == dataset_type, loader
    for evaluator in ('val_evaluator', 'test_evaluator'):
        assert cfg[evaluator].type == metric_type, evaluator
    if cfg.default_scope == 'mmseg':
        # EncoderDecoder would hand `pretrained` to our backbones.
        assert cfg.model.pretrained is None

    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None
    _sync_bn_to_bn(model_cfg)
    with DefaultScope.overwrite_default_scope(cfg.default_scope), \
            torch.device('meta'):
        model = MODELS.build(model_cfg)
    scope = cfg.default_scope
    classes = DATASETS.get(f'{scope}.{dataset_type}').METAINFO['classes']
    assert METRICS.get(f'{scope}.{metric_type}') is not None
    # docs/model_zoo.md shows this model: its numbers must be current.
    zoo = zoo_measurements()[name[:-3]]
    assert zoo['params'] == sum(p.numel() for p in model.parameters()) \
        and zoo['weights'] == (backbone.init_cfg or {}).get('checkpoint'), \
        f'docs/model_zoo.md is stale; run {REGENERATE.format(name[:-3])}'
    out_channels = list(model.backbone.out_channels)
    if 'backbone_channels' in cfg:  # the one channel list of the config
        assert list(cfg.backbone_channels) == out_channels
    num_classes = len(TOY_COCO_CLASSES) if name == DEMO else len(classes)

    if parsed.method == 'dino_4scale':  # ChannelMapper keeps no widths
        assert list(cfg.model.neck.in_channels) == out_channels
        assert model.bbox_head.num_classes == num_classes
    elif parsed.dataset == 'coco':
        assert list(model.neck.in_channels) == out_channels
        assert model.rpn_head.in_channels == model.neck.out_channels
        for head in _as_list(model.roi_head.bbox_head) + \
                _as_list(model.roi_head.mask_head):
            assert head.in_channels == model.neck.out_channels
            assert head.num_classes == num_classes
    else:
        heads = [model.decode_head] + _as_list(
            getattr(model, 'auxiliary_head', None) or [])
        for head in heads:
            assert head.num_classes == num_classes
            if model.with_neck:  # Semantic FPN: heads read the FPN levels
                assert list(model.neck.in_channels) == out_channels
                assert head.in_channels == [model.neck.out_channels] * 4
                continue
            expected = ([out_channels[i] for i in head.in_index] if isinstance(
                head.in_index, (list, tuple)) else out_channels[head.in_index])
            assert head.in_channels == expected, type(head).__name__


def test_demo_config_matches_toy_data():
    cfg = load(DEMO)
    assert tuple(cfg.classes) == TOY_COCO_CLASSES
    assert [tuple(c) for c in cfg.metainfo.palette] == \
        [tuple(c) for c in TOY_COCO_METAINFO['palette']]
    assert cfg.model.roi_head.bbox_head.num_classes == len(TOY_COCO_CLASSES)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'  # exact --resume


# ---------------------------------------------------------------------------
# One real training and test iteration per (method, dataset, family).

# Image sizes divided so that the toy images (160-192 px COCO-style, ADE
# style, 256x128 Cityscapes) stay about their own size: every resize, crop
# and padding size of a recipe's pipelines is scaled by this factor.
SHRINK = {'coco': 1 / 6, 'ade20k': 1 / 4, 'cityscapes': 1 / 8}
SIZE_KEYS = ('scale', 'scales', 'crop_size', 'size')


def _scaled(value, factor: float):
    if isinstance(value, (list, tuple)):
        return type(value)(_scaled(v, factor) for v in value)
    return max(1, round(value * factor))


def _shrink(node, factor: float) -> None:
    """Scale every size in a pipeline (incl. nested RandomChoice lists)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SIZE_KEYS and value is not None:
                node[key] = _scaled(value, factor)
            else:
                _shrink(value, factor)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _shrink(value, factor)


def _set_num_classes(cfg: Config, num_classes: int) -> None:
    if 'bbox_head' in cfg.model:  # DINO
        cfg.model.bbox_head.num_classes = num_classes
        return
    roi_head = cfg.model.roi_head
    for head in _as_list(roi_head.bbox_head) + _as_list(roi_head.mask_head):
        head.num_classes = num_classes


def _point_at_toy_data(cfg: Config, dataset: str, root: str) -> None:
    loaders = [cfg.train_dataloader, cfg.test_dataloader]
    if dataset == 'coco':
        data_root = osp.join(root, 'toy_coco') + '/'
        for loader, split in zip(loaders, ('train', 'val')):
            loader.dataset.update(
                data_root=data_root,
                ann_file=f'annotations/instances_{split}.json',
                data_prefix=dict(img=f'{split}/'),
                metainfo=copy.deepcopy(TOY_COCO_METAINFO))
        cfg.test_evaluator.ann_file = \
            data_root + 'annotations/instances_val.json'
        _set_num_classes(cfg, len(TOY_COCO_CLASSES))
    else:  # the toy sets use the real layouts, label ids and classes
        folder = {'ade20k': 'toy_ade', 'cityscapes': 'toy_cityscapes'}
        for loader in loaders:
            loader.dataset.data_root = osp.join(root, folder[dataset])


def runner_cfg(name: str, data_root: str, work_dir: str) -> Config:
    """The config with toy data, small images, 1 training iteration of
    batch 2 and 1 test image; model, optimizer and hooks as shipped."""
    cfg = load(name)
    dataset = parse_name(name).dataset
    cfg.model.backbone.init_cfg = None  # no downloads in tests
    _point_at_toy_data(cfg, dataset, data_root)
    _shrink(cfg.train_dataloader.dataset.pipeline, SHRINK[dataset])
    _shrink(cfg.test_dataloader.dataset.pipeline, SHRINK[dataset])
    _shrink(cfg.model.data_preprocessor, SHRINK[dataset])
    if cfg.model.type == 'DINO':
        # Its 900 queries are the top proposals of the encoder's tokens,
        # which small toy images do not have that many of.
        cfg.model.num_queries = 100
        cfg.model.test_cfg.max_per_img = 100
    if dataset == 'coco' and 'roi_head' in cfg.model:
        # CPU time: the cascade's 4conv1fc heads over 512 sampled RoIs x 3
        # stages, and over 1000 proposals at test, would dominate.
        cfg.model.train_cfg.rpn_proposal.max_per_img = 100
        for rcnn in _as_list(cfg.model.train_cfg.rcnn):
            rcnn.sampler.num = 32
        cfg.model.test_cfg.rpn.max_per_img = 50

    cfg.work_dir = work_dir
    cfg.experiment_name = f'{name[:-3]}_{uuid.uuid4().hex[:8]}'
    # The bases name every visualizer 'visualizer': mmengine would hand
    # each later Runner the first one, still writing to the first work_dir.
    cfg.visualizer.name = cfg.experiment_name
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.test_dataloader.update(
        batch_size=1, num_workers=0, persistent_workers=False)
    cfg.test_dataloader.dataset.indices = 1  # one test iteration
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor = dict(by_epoch=False)
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('name', HEADS)
def test_smallest_variant_trains_and_tests_one_iteration(
        name, toy_data, tmp_path, single_thread):
    """Small images make the ops tiny: one thread is as fast as two and
    does not slow down under a shared machine's load."""
    from mmengine.runner import Runner
    runner = Runner.from_cfg(runner_cfg(name, str(toy_data), str(tmp_path)))
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss)), loss
    assert runner.iter == 1
    metrics = runner.test()
    if parse_name(name).method == 'dino_4scale':  # boxes only
        ranges = {'coco/bbox_mAP': 1.0}
    elif parse_name(name).dataset == 'coco':
        ranges = {'coco/bbox_mAP': 1.0, 'coco/segm_mAP': 1.0}
    else:
        ranges = {'mIoU': 100.0}  # mmseg reports percentages
    for key, top in ranges.items():
        assert 0.0 <= metrics[key] <= top, (key, metrics)


@functools.lru_cache(maxsize=None)
def backbone_params(family: str, arch: str) -> int:
    with torch.device('meta'):
        backbone = HVT_MODELS.build(dict(type=FAMILIES[family], arch=arch))
    return sum(p.numel() for p in backbone.parameters())


def test_family_config_is_the_smallest_variant():
    """The config that runs for real is the smallest of its group."""
    for name in HEADS:
        group = parse_name(name).group
        params = {}
        for sibling in CONFIGS:
            parsed = parse_name(sibling)
            if sibling == DEMO or parsed.group != group:
                continue
            params[sibling] = backbone_params(parsed.family,
                                              {'4_21k': '4_21k_224'
                                               }.get(parsed.arch, parsed.arch))
        assert min(params, key=params.get) == name, params
