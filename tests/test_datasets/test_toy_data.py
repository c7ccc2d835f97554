"""Toy datasets: determinism, idempotence, valid formats, exact annotations."""
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from hvt_mm.datasets import toy

SIZES = dict(num_train=6, num_val=3)
FOLDERS = ('toy_coco', 'toy_ade', 'toy_cityscapes')


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> Path:
    """All three datasets, small, seed 0; shared read-only by the tests."""
    path = tmp_path_factory.mktemp('toy')
    results = toy.make_all(path, seed=0, **SIZES)
    assert [r.generated for r in results.values()] == [True] * 3
    return path


def _hashes(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob('*')) if p.is_file()
    }


def _mtimes(folder: Path) -> dict:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob('*')}


# ------------------------------------------------------------ determinism


def test_same_seed_gives_byte_identical_files(root, tmp_path):
    toy.make_all(tmp_path, seed=0, **SIZES)
    for folder in FOLDERS:
        first, second = _hashes(root / folder), _hashes(tmp_path / folder)
        assert len(first) > 10
        assert first == second, folder


def test_other_seed_changes_every_image(root, tmp_path):
    toy.make_coco(tmp_path, seed=1, **SIZES)
    first, second = _hashes(root / 'toy_coco'), _hashes(tmp_path / 'toy_coco')
    assert first.keys() == second.keys()
    images = [k for k in first if k.endswith('.jpg')]
    assert len(images) == 9
    assert all(first[k] != second[k] for k in images)


def test_prefix_of_larger_set_is_the_smaller_set(root, tmp_path):
    toy.make_ade20k(tmp_path, seed=0, num_train=8, num_val=3)
    small, large = _hashes(root / 'toy_ade'), _hashes(tmp_path / 'toy_ade')
    shared = {k: v for k, v in small.items() if k != 'toy_stamp.json'}
    assert {k: large[k] for k in shared} == shared
    assert len(large) == len(small) + 4  # 2 more jpg + png pairs


# ------------------------------------------------------------ layout


def test_layout_is_exact(root):
    coco = sorted(_hashes(root / 'toy_coco'))
    assert coco == sorted([
        'annotations/instances_train.json', 'annotations/instances_val.json',
        'toy_stamp.json'
    ] + [f'train/{i:012d}.jpg'
         for i in range(1, 7)] + [f'val/{i:012d}.jpg' for i in range(1, 4)])
    ade = sorted(_hashes(root / 'toy_ade'))
    expected = ['toy_stamp.json']
    for split, folder, num in (('train', 'training', 6), ('val', 'validation',
                                                          3)):
        for i in range(1, num + 1):
            expected += [
                f'images/{folder}/ADE_{split}_{i:08d}.jpg',
                f'annotations/{folder}/ADE_{split}_{i:08d}.png'
            ]
    assert ade == sorted(expected)
    cs = sorted(_hashes(root / 'toy_cityscapes'))
    expected = ['toy_stamp.json']
    for split, cities, num in (('train', ('aachen', 'bochum'), 6),
                               ('val', ('frankfurt', ), 3)):
        for i in range(num):
            city = cities[i % len(cities)]
            stem = f'{city}_{i:06d}_000019'
            expected += [
                f'leftImg8bit/{split}/{city}/{stem}_leftImg8bit.png',
                f'gtFine/{split}/{city}/{stem}_gtFine_labelTrainIds.png',
                f'gtFine/{split}/{city}/{stem}_gtFine_labelIds.png'
            ]
    assert cs == sorted(expected)
    assert not list(root.glob('.*'))  # no temporary folders left behind


# ------------------------------------------------------------ idempotence


def test_second_call_skips_and_touches_nothing(tmp_path):
    first = toy.make_cityscapes(tmp_path, seed=0, num_train=2, num_val=1)
    before = _mtimes(first.path)
    again = toy.make_cityscapes(tmp_path, seed=0, num_train=2, num_val=1)
    assert first.generated and not again.generated
    assert again.path == first.path == tmp_path / 'toy_cityscapes'
    assert _mtimes(first.path) == before


@pytest.mark.parametrize(
    'change',
    [dict(seed=1),
     dict(num_train=3),
     dict(num_val=2),
     dict(force=True)])
def test_changed_parameters_or_force_regenerate(tmp_path, change):
    params = dict(seed=0, num_train=2, num_val=1)
    toy.make_coco(tmp_path, **params)
    result = toy.make_coco(tmp_path, **{**params, **change})
    assert result.generated
    stamp = json.loads((result.path / 'toy_stamp.json').read_text())
    expected = {k: v for k, v in {**params, **change}.items() if k != 'force'}
    assert {k: stamp[k] for k in expected} == expected
    assert stamp[
        'num_files'] == 2 + expected['num_train'] + expected['num_val']


def test_stamp_keeps_its_generator_id(tmp_path):
    """Copies written before the move to hvt_mm.datasets.toy stay valid."""
    result = toy.make_coco(tmp_path, seed=0, num_train=1, num_val=1)
    stamp = json.loads((result.path / 'toy_stamp.json').read_text())
    assert stamp['generator'] == 'hvt_mm.utils.toy_data'
    assert stamp['version'] == 1


def test_missing_file_regenerates(tmp_path):
    result = toy.make_coco(tmp_path, seed=0, num_train=2, num_val=1)
    (result.path / 'val' / '000000000001.jpg').unlink()
    assert toy.make_coco(tmp_path, seed=0, num_train=2, num_val=1).generated
    assert (result.path / 'val' / '000000000001.jpg').is_file()


def test_foreign_folder_is_refused_unless_forced(tmp_path):
    foreign = tmp_path / 'toy_ade' / 'mine.txt'
    foreign.parent.mkdir()
    foreign.write_text('real data')
    with pytest.raises(FileExistsError, match='--force'):
        toy.make_ade20k(tmp_path, num_train=1, num_val=1)
    assert foreign.read_text() == 'real data'
    assert toy.make_ade20k(
        tmp_path, num_train=1, num_val=1, force=True).generated
    assert not foreign.exists()


@pytest.mark.parametrize('kwargs, message', [
    (dict(seed=-1), 'seed must be a non-negative int'),
    (dict(num_train=0), 'num_train must be a positive int'),
    (dict(num_val=1.5), 'num_val must be a positive int'),
])
def test_bad_arguments_say_what_is_wrong(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        toy.make_coco(tmp_path, **kwargs)
    assert not (tmp_path / 'toy_coco').exists()
    with pytest.raises(ValueError, match="unknown toy dataset.*'voc'"):
        toy.make_all(tmp_path, datasets=('coco', 'voc'))


# ------------------------------------------------------------ COCO content


def _coco(root: Path, split: str) -> dict:
    return json.loads((root / 'toy_coco' / 'annotations' /
                       f'instances_{split}.json').read_text())


def test_coco_json_fields(root):
    data = _coco(root, 'train')
    assert [c['name']
            for c in data['categories']] == list(toy.TOY_COCO_CLASSES)
    assert [c['id'] for c in data['categories']] == [1, 2, 3]
    assert {'info', 'licenses', 'images', 'annotations'} <= data.keys()
    per_image = np.bincount([a['image_id'] for a in data['annotations']],
                            minlength=7)[1:]
    # 2-5 shapes are attempted; a crowded image may keep fewer.
    assert per_image.min() >= 1 and per_image.max() <= 5
    assert per_image.mean() > 2.5
    for ann in data['annotations']:
        assert ann['iscrowd'] == 0
        assert len(ann['segmentation']) == 1
        assert len(ann['segmentation'][0]) in (6, 8, 64)  # tri, rect, circle
        assert ann['area'] > 50
        assert min(ann['bbox'][2:]) >= 10


@pytest.mark.parametrize('split, num', [('train', 6), ('val', 3)])
def test_coco_polygons_match_painted_masks(root, split, num):
    """Rasterised annotation == painted shape; the jpg is the rendering."""
    pytest.importorskip('pycocotools')
    from pycocotools.coco import COCO
    coco = COCO(
        str(root / 'toy_coco' / 'annotations' / f'instances_{split}.json'))
    assert sorted(coco.getImgIds()) == list(range(1, num + 1))
    ious = []
    for image_id in coco.getImgIds():
        img, objects = toy.render_coco_image(0, split, image_id - 1)
        info = coco.loadImgs(image_id)[0]
        jpg = cv2.imread(str(root / 'toy_coco' / split /
                             info['file_name']))[..., ::-1]
        assert jpg.shape == img.shape == (info['height'], info['width'], 3)
        assert np.abs(jpg.astype(int) - img).mean() < 4  # jpeg loss only
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        assert [a['category_id']
                for a in anns] == [o['category_id'] for o in objects]
        for ann, obj in zip(anns, objects):
            mask = coco.annToMask(ann).astype(bool)
            iou = (mask & obj['mask']).sum() / (mask | obj['mask']).sum()
            # pycocotools quantises polygon edges to 1/5 px; a half-pixel
            # convention error would give ~0.9 here.
            assert iou > 0.95, (split, image_id, ann['id'], iou)
            ious.append(iou)
            assert ann['area'] == obj['mask'].sum()
            ys, xs = np.nonzero(obj['mask'])
            x, y, w, h = ann['bbox']
            assert x - 1 <= xs.min() and xs.max() <= x + w
            assert y - 1 <= ys.min() and ys.max() <= y + h
    assert np.mean(ious) > 0.98


def test_coco_shapes_stand_out_from_background():
    """Objects differ from the ring of background around them (learnable)."""
    contrasts = []
    for index in range(20):
        img, objects = toy.render_coco_image(0, 'train', index)
        img = img.astype(np.float32)
        for obj in objects:
            mask = obj['mask'].astype(np.uint8)
            ring = cv2.dilate(mask, np.ones((5, 5), np.uint8)) > mask
            contrasts.append(
                np.linalg.norm(img[obj['mask']].mean(0) - img[ring].mean(0)))
    assert len(contrasts) >= 40
    assert np.mean(np.array(contrasts) > 40) > 0.9
    classes = {
        o['category_id']
        for i in range(20)
        for o in toy.render_coco_image(0, 'train', i)[1]
    }
    assert classes == {1, 2, 3}


def test_coco_ground_truth_scores_perfect_map(root):
    pytest.importorskip('pycocotools')
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    gt = COCO(str(root / 'toy_coco' / 'annotations' / 'instances_val.json'))
    dets = [
        dict(
            image_id=a['image_id'],
            category_id=a['category_id'],
            bbox=a['bbox'],
            segmentation=a['segmentation'],
            score=1.0) for a in gt.loadAnns(gt.getAnnIds())
    ]
    for iou_type in ('bbox', 'segm'):
        evaluator = COCOeval(gt, gt.loadRes(dets), iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        assert evaluator.stats[0] == pytest.approx(1.0, abs=1e-9), iou_type
        assert evaluator.stats[1] == pytest.approx(1.0, abs=1e-9), iou_type


def test_mmdet_coco_dataset_reads_the_files(root):
    pytest.importorskip('mmdet')
    from mmdet.registry import DATASETS
    from mmengine.registry import DefaultScope
    cfg = dict(
        type='CocoDataset',
        data_root=str(root / 'toy_coco'),
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        metainfo=dict(classes=toy.TOY_COCO_METAINFO['classes']),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='PackDetInputs'),
        ])
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(cfg)
    assert dataset.metainfo['classes'] == toy.TOY_COCO_CLASSES
    assert len(dataset) == 3
    raw = _coco(root, 'val')
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        image_id = sample.img_id
        anns = [a for a in raw['annotations'] if a['image_id'] == image_id]
        inst = sample.gt_instances
        assert inst.labels.tolist() == [a['category_id'] - 1 for a in anns]
        x, y, w, h = np.array([a['bbox'] for a in anns]).T
        np.testing.assert_allclose(
            inst.bboxes.numpy(), np.stack([x, y, x + w, y + h], 1), atol=1e-4)
        masks = inst.masks.to_ndarray()
        _, objects = toy.render_coco_image(0, 'val', image_id - 1)
        assert masks.shape == (len(anns), *sample.ori_shape)
        for mask, obj in zip(masks.astype(bool), objects):
            assert (mask & obj['mask']).sum() / (mask
                                                 | obj['mask']).sum() > 0.95


# ------------------------------------------------------------ segmentation


def _read_label(path: Path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def test_ade_labels_and_images(root):
    for split, folder in (('train', 'training'), ('val', 'validation')):
        for index in range(3):
            img, lab = toy.render_ade_image(0, split, index)
            name = f'ADE_{split}_{index + 1:08d}'
            png = _read_label(root / 'toy_ade' / 'annotations' / folder /
                              f'{name}.png')
            jpg = cv2.imread(
                str(root / 'toy_ade' / 'images' / folder /
                    f'{name}.jpg'))[..., ::-1]
            assert png.dtype == np.uint8 and png.shape == img.shape[:2]
            np.testing.assert_array_equal(png, lab)
            assert np.abs(jpg.astype(int) - img).mean() < 4
    values = np.unique(
        np.concatenate([
            toy.render_ade_image(0, 'train', i)[1].ravel() for i in range(12)
        ]))
    assert values.tolist() == list(range(len(toy.TOY_ADE_CLASSES) + 1))


def _seg_samples(cfg: dict) -> tuple:
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    cfg['pipeline'] = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs'),
    ]
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(cfg)
    return dataset, [dataset[i] for i in range(len(dataset))]


@pytest.mark.parametrize('dataset_type', ['ADE20KDataset', 'BaseSegDataset'])
def test_mmseg_reads_ade_with_reduce_zero_label(root, dataset_type):
    pytest.importorskip('mmseg')
    cfg = dict(
        type=dataset_type,
        data_root=str(root / 'toy_ade'),
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        metainfo=dict(classes=toy.TOY_ADE_METAINFO['classes']))
    if dataset_type == 'BaseSegDataset':
        cfg.update(
            img_suffix='.jpg', seg_map_suffix='.png', reduce_zero_label=True)
    dataset, samples = _seg_samples(cfg)
    assert dataset.metainfo['classes'] == toy.TOY_ADE_CLASSES
    assert len(dataset.metainfo['palette']) == len(toy.TOY_ADE_CLASSES)
    assert len(samples) == 6
    for index, sample in enumerate(samples):
        _, lab = toy.render_ade_image(0, 'train', index)
        expected = np.where(lab == 0, 255, lab.astype(int) - 1)
        got = sample['data_samples'].gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(got, expected)
        assert sample['inputs'].shape == (3, *lab.shape)


def test_cityscapes_labels_and_images(root):
    lut = np.full(256, -1)
    for train_id, label_id in toy.cityscapes._CS_TRAIN_TO_LABEL_ID.items():
        lut[train_id] = label_id
    values = set()
    for index in range(6):
        img, train_ids = toy.render_cityscapes_image(0, 'train', index)
        city = ('aachen', 'bochum')[index % 2]
        stem = f'{city}_{index:06d}_000019'
        base = root / 'toy_cityscapes'
        png = cv2.imread(
            str(base / 'leftImg8bit' / 'train' / city /
                f'{stem}_leftImg8bit.png'))[..., ::-1]
        np.testing.assert_array_equal(png, img)  # png: lossless
        gt = base / 'gtFine' / 'train' / city
        np.testing.assert_array_equal(
            _read_label(gt / f'{stem}_gtFine_labelTrainIds.png'), train_ids)
        np.testing.assert_array_equal(
            _read_label(gt / f'{stem}_gtFine_labelIds.png'), lut[train_ids])
        values |= set(np.unique(train_ids).tolist())
    assert values <= set(toy.TOY_CITYSCAPES_TRAIN_IDS) | {255}
    assert set(toy.TOY_CITYSCAPES_TRAIN_IDS) <= values
    assert lut[[0, 1, 2, 8, 10, 13, 255]].tolist() == [7, 8, 11, 21, 23, 26, 0]


@pytest.mark.parametrize('toy_classes', [False, True])
def test_mmseg_reads_cityscapes(root, toy_classes):
    pytest.importorskip('mmseg')
    cfg = dict(
        type='CityscapesDataset',
        data_root=str(root / 'toy_cityscapes'),
        data_prefix=dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val'))
    if toy_classes:
        cfg['metainfo'] = dict(classes=toy.TOY_CITYSCAPES_METAINFO['classes'])
    dataset, samples = _seg_samples(cfg)
    assert len(samples) == 3
    assert len(dataset.metainfo['classes']) == (6 if toy_classes else 19)
    remap = np.full(256, 255)
    for new_id, train_id in enumerate(toy.TOY_CITYSCAPES_TRAIN_IDS):
        remap[train_id] = new_id if toy_classes else train_id
    for index, sample in enumerate(samples):
        _, train_ids = toy.render_cityscapes_image(0, 'val', index)
        got = sample['data_samples'].gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(got, remap[train_ids])
        assert sample['data_samples'].img_path.endswith(
            f'frankfurt_{index:06d}_000019_leftImg8bit.png')
    if toy_classes:
        assert dataset.metainfo['classes'] == toy.TOY_CITYSCAPES_CLASSES
