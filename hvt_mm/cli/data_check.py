"""Dataset checks before training or testing starts.

Each finds, in a second at most, what would otherwise fail deep inside a
data loader worker (or, worse, silently train on nothing): a missing data
root or annotation file, an annotation file that is not COCO, segmentation
label maps that are not there (Cityscapes ``*_labelTrainIds.png``).
"""
import importlib
import inspect
import mmap
import os
import os.path as osp
from typing import Any, Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import DATASETS

from ..utils.errors import UsageError

#: How to create the label maps CityscapesDataset reads.
CITYSCAPES_TRAIN_IDS_HINT = (
    'Cityscapes ships *_gtFine_polygons.json / *_labelIds.png; create the '
    '*_labelTrainIds.png maps once with cityscapesscripts '
    '(`pip install cityscapesscripts`, then `CITYSCAPES_DATASET=DATA_ROOT '
    'csCreateTrainIdLabelImgs`) or with mmsegmentation\'s '
    '`python tools/dataset_converters/cityscapes.py DATA_ROOT --nproc 8`.')


def _datasets(cfg_node, path: str) -> Iterator[Tuple[str, Any]]:
    """``(dotted key, config)`` of the innermost datasets (through
    wrappers such as ``ConcatDataset`` and ``RepeatDataset``)."""
    if cfg_node is None:
        return
    if 'datasets' in cfg_node:
        for i, sub in enumerate(cfg_node['datasets']):
            yield from _datasets(sub, f'{path}.datasets.{i}')
    elif 'dataset' in cfg_node:
        yield from _datasets(cfg_node['dataset'], f'{path}.dataset')
    else:
        yield path, cfg_node


def _loader_datasets(cfg: Config,
                     loaders: List[str]) -> Iterator[Tuple[str, Any]]:
    for name in loaders:
        loader = cfg.get(name)
        if loader:
            yield from _datasets(loader.get('dataset'), f'{name}.dataset')


def _local(path: str) -> bool:
    return '://' not in path


def missing_data_paths(cfg: Config, loaders: List[str]) -> List[str]:
    """Data roots, annotation files and data folders referenced by
    ``loaders`` that are absent on disk."""
    missing = []
    for _, dataset in _loader_datasets(cfg, loaders):
        root = dataset.get('data_root', '') or ''
        ann = dataset.get('ann_file', '') or ''
        if not _local(root):
            continue
        if root and not osp.isdir(root):
            missing.append(root)
            continue
        if ann and not osp.exists(osp.join(root, ann)):
            missing.append(osp.join(root, ann))
        prefix = dataset.get('data_prefix') or {}
        for folder in prefix.values():
            if isinstance(folder, str) and folder and \
                    not osp.isdir(osp.join(root, folder)):
                missing.append(osp.join(root, folder))
    return sorted(set(missing))


def _dataset_class(dataset: Any, scope: Optional[str]) -> Optional[type]:
    kind = dataset.get('type')
    if not isinstance(kind, str):
        return kind if isinstance(kind, type) else None
    try:
        with DATASETS.switch_scope_and_registry(scope) as registry:
            return registry.get(kind)
    except Exception:  # an unknown type fails with its own error later
        return None


def _is_a(cls: Optional[type], module: str, name: str) -> bool:
    """Whether ``cls`` subclasses ``module.name`` (False where that library
    is not installed: its datasets cannot be in the config then)."""
    if cls is None:
        return False
    try:
        base = getattr(importlib.import_module(module), name)
    except ImportError:
        return False
    return issubclass(cls, base)


def coco_format_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be a COCO annotation file, or ``None``.

    Cheap (no JSON parsing, which would double the start-up time on COCO's
    450 MB files): the file must be one JSON object mentioning ``"images"``
    and ``"categories"``.
    """
    if osp.getsize(path) == 0:
        return 'the file is empty'
    with open(path, 'rb') as file, \
            mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        start = data[:4096].lstrip()
        if not start.startswith(b'{'):
            return ('it is not a JSON object (starts with '
                    f'{bytes(start[:20])!r})')
        absent = [
            k for k in ('images', 'categories')
            if data.find(b'"%s"' % k.encode()) < 0
        ]
    if absent:
        return f'it has no {" or ".join(repr(k) for k in absent)} list'
    return None


def _seg_map_suffix(dataset: Any, cls: type) -> Optional[str]:
    """The configured suffix, else the dataset class's default."""
    if dataset.get('seg_map_suffix'):
        return dataset['seg_map_suffix']
    for klass in cls.__mro__:
        param = inspect.signature(
            klass.__init__).parameters.get('seg_map_suffix')
        if param is not None and isinstance(param.default, str):
            return param.default
    return None


def _has_file_ending(folder: str, suffix: str) -> bool:
    for _, _, files in os.walk(folder):
        if any(f.endswith(suffix) for f in files):
            return True
    return False


def _loads_annotations(dataset: Any) -> bool:
    return any(
        str(step.get('type', '')).endswith('LoadAnnotations')
        for step in dataset.get('pipeline') or [] if isinstance(step, dict))


def _format_problem(key: str, dataset: Any, cls: type) -> Optional[str]:
    root = dataset.get('data_root', '') or ''
    if _is_a(cls, 'mmdet.datasets', 'CocoDataset') and dataset.get('ann_file'):
        path = osp.join(root, dataset['ann_file'])
        why = coco_format_problem(path)
        if why:
            return (f'{path} ({key}.ann_file) is not a COCO annotation '
                    f'file: {why}. COCO files are one JSON object with '
                    '"images", "annotations" and "categories" lists; point '
                    'ann_file at instances_*.json or convert your labels '
                    '(mmdet docs: "customize datasets").')
    seg_dir = (dataset.get('data_prefix') or {}).get('seg_map_path')
    if _is_a(cls, 'mmseg.datasets', 'BaseSegDataset') and seg_dir and \
            _loads_annotations(dataset):
        suffix = _seg_map_suffix(dataset, cls)
        folder = osp.join(root, seg_dir)
        if suffix and not _has_file_ending(folder, suffix):
            hint = CITYSCAPES_TRAIN_IDS_HINT if 'labelTrainIds' in suffix \
                else f'create them or set {key}.seg_map_suffix.'
            return (f'no label maps *{suffix} under {folder} '
                    f'({key}.data_prefix.seg_map_path). {hint}')
    return None


def check_data(cfg: Config, loaders: List[str]) -> None:
    """Refuse missing data and annotation files of the wrong format.

    Raises:
        UsageError: naming the path, the setting and what to do.
    """
    missing = missing_data_paths(cfg, loaders)
    if missing:
        raise UsageError(
            f'dataset path(s) not found: {", ".join(missing)}. Download the '
            'dataset there, point data_root at it with --cfg-options, or '
            'run `python tools/misc/make_toy_data.py` for the bundled toy '
            'data.')
    scope = cfg.get('default_scope')
    for key, dataset in _loader_datasets(cfg, loaders):
        if not _local(dataset.get('data_root', '') or ''):
            continue
        problem = _format_problem(key, dataset, _dataset_class(dataset, scope))
        if problem:
            raise UsageError(problem)
