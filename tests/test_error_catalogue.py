"""The error catalogue (docs/reliability.md lists the same rows).

Each row is one malformed input, how to trigger it, and the ONE exception it
must end in: its type and a pattern that checks the message says what is
wrong and what to do. The tools print a :class:`UsageError` as one
``error: ...`` line with exit code 2 (tests/test_tools/test_train_test_cli.py).
Two more rows are documented behaviours, not errors: NaN/Inf input passes
through, an unfused FastViT checkpoint is fused on load into a deploy model.
"""
import copy
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import torch
from mmengine.config import Config

from hvt_mm.checkpoint import (CheckpointDownloadError,
                               CheckpointMismatchError, UnsafeCheckpointError)
from hvt_mm.cli import distributed
from hvt_mm.cli.launch import UsageError, build_runner, load_config
from hvt_mm.models.backbones import EfficientViT, FasterViT, FastViT, LightViT
from hvt_mm.registry import MODELS
from tests.backbone_families import FASTERVIT, LIGHTVIT
from tests.malicious import RunsShell
from tests.tool_loader import ROOT, load_tool
from tests.toy_configs import toy_det_cfg, toy_seg_cfg

pytestmark = pytest.mark.usefixtures('single_thread')

TRAIN = load_tool('tools/train.py')
TEST = load_tool('tools/test.py')
DEMO = f'{ROOT}/configs/demo_mask_rcnn_fastervit_0_toy_coco.py'
CITYSCAPES = f'{ROOT}/configs/efficientvit_seg_b0_cityscapes.py'
TINY_FASTERVIT = dict(
    type='hvt_mm.FasterViT', arch=copy.deepcopy(FASTERVIT.cases[0].arch))


class Env:
    """What triggers need: a temporary folder, the toy data, a local HTTP
    server, monkeypatch (fixtures are requested only by rows using them)."""

    def __init__(self, request, tmp_path: Path) -> None:
        self.request, self.tmp = request, tmp_path

    @property
    def toy(self) -> Path:
        return self.request.getfixturevalue('toy_data')

    @property
    def server(self):
        return self.request.getfixturevalue('http_server')

    @property
    def monkeypatch(self):
        return self.request.getfixturevalue('monkeypatch')

    def save(self, name: str, obj: Any) -> str:
        path = self.tmp / name
        torch.save(obj, path)
        return str(path)

    def efficientvit_b0_file(self) -> str:
        return self.save('b0.pth', EfficientViT('b0').state_dict())

    def train_cfg(self, config: str, *options: str) -> Config:
        """``tools/train.py CONFIG --cfg-options ...`` up to the Runner."""
        args = ['--cfg-options', *options] if options else []
        return TRAIN.build_cfg(TRAIN.parse_args([config, *args]))

    def toy_coco_options(self, ann_file: str = None) -> list:
        root = f'{self.toy}/toy_coco/'
        options = [
            f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}'
        ]
        if ann_file:
            options.append(f'train_dataloader.dataset.ann_file={ann_file}')
        return options


@dataclass(frozen=True)
class Row:
    id: str
    what: str
    trigger: Callable[[Env], Any]
    error: type
    match: str


def _tiny_lightvit() -> LightViT:
    return LightViT(arch=copy.deepcopy(LIGHTVIT.cases[0].arch))


def _not_coco(env: Env) -> Config:
    bad = env.tmp / 'labels.json'
    bad.write_text('[{"file": "a.jpg", "boxes": []}]')
    return env.train_cfg(DEMO, *env.toy_coco_options(ann_file=str(bad)))


def _cityscapes_without_train_ids(env: Env) -> Config:
    root = env.tmp / 'cityscapes'
    shutil.copytree(env.toy / 'toy_cityscapes', root)
    for path in root.rglob('*_labelTrainIds.png'):
        path.unlink()
    return env.train_cfg(CITYSCAPES,
                         f'train_dataloader.dataset.data_root={root}',
                         f'val_dataloader.dataset.data_root={root}')


def _neck_mismatch(env: Env):
    cfg = toy_det_cfg(env.toy, env.tmp / 'work', TINY_FASTERVIT)
    cfg.model.neck.in_channels = [64, 128, 256, 512]  # FasterViT-0's
    return build_runner(cfg)


def _decode_head_mismatch(env: Env):
    cfg = toy_seg_cfg(env.toy, env.tmp / 'work', TINY_FASTERVIT)
    cfg.model.decode_head.in_channels = [64, 128, 256, 512]
    return build_runner(cfg)


def _missing_pretrained(env: Env):
    cfg = toy_det_cfg(env.toy, env.tmp / 'work', TINY_FASTERVIT)
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint='checkpoints/fastervit_0.pth.tar')
    return build_runner(cfg)


def _truncated(env: Env):
    path = env.efficientvit_b0_file()
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:len(data) // 2])
    EfficientViT('b0').load_pretrained(path)


def _zero_bytes(env: Env):
    (env.tmp / 'empty.pth').touch()
    EfficientViT('b0').load_pretrained(str(env.tmp / 'empty.pth'))


def _malicious(env: Env, by_url: bool):
    payload = {'state_dict': {}, 'x': RunsShell(str(env.tmp / 'pwned'))}
    if by_url:
        root, url = env.server
        torch.save(payload, root / 'evil.pth')
        path = f'{url}/evil.pth'
    else:
        path = env.save('evil.pth', payload)
    try:
        EfficientViT('b0').load_pretrained(path)
    finally:
        assert not (env.tmp / 'pwned').exists(), 'the payload ran'


def _fused_into_training_form(env: Env):
    fused = FastViT('t8').eval()
    fused.switch_to_deploy()
    FastViT('t8').load_pretrained(env.save('fused.pth', fused.state_dict()))


def _too_many_processes(env: Env):
    env.monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    distributed.check_processes(2)


ROWS = [
    # ---------------------------------------------------------- model input
    Row(
        'input-channels', 'a 1-channel image into an RGB backbone',
        lambda env: FastViT('t8')(torch.zeros(1, 1, 64, 64)), ValueError,
        r'expects a \(B, 3, H, W\) tensor, got shape \(1, 1, 64, 64\); set '
        r'in_channels'),
    Row('input-not-4d', 'an unbatched (C, H, W) image',
        lambda env: FastViT('t8')(torch.zeros(3, 64, 64)), ValueError,
        r'expects a \(B, 3, H, W\) tensor, got shape \(3, 64, 64\)'),
    Row(
        'input-too-small', 'a 16x16 image (LightViT needs 32)',
        lambda env: _tiny_lightvit()(torch.zeros(1, 3, 16, 48)), ValueError,
        r'input 16x48 is too small; the minimum side is 32 pixels\. Resize '
        r'or pad'),
    Row('input-empty-batch', 'a batch of zero images',
        lambda env: FastViT('t8')(torch.zeros(0, 3, 64, 64)), ValueError,
        r'empty batch \(shape \(0, 3, 64, 64\)\); check the data loader'),
    # ------------------------------------------------------- model settings
    Row(
        'unknown-arch', 'a misspelt arch name', lambda env: FastViT('sa-12'),
        ValueError,
        r"Unknown FastViT arch 'sa-12' \(did you mean 'sa12'\?\); choose one "
        r'of \[.*\]'),
    Row('custom-arch-keys', 'a custom arch dict with a missing key',
        lambda env: FastViT(dict(depths=[1, 1, 1, 1])), ValueError,
        r'must have exactly the keys .*; missing \[.*embed_dims.*\]'),
    Row(
        'unknown-head-preset', 'a misspelt EfficientViTHead preset',
        lambda env: MODELS.build(
            dict(type='hvt_mm.EfficientViTHead', preset='b1_cityscape')),
        ValueError, r"preset 'b1_cityscape' \(did you mean 'b1_cityscapes'\?"
        r'\); choose one of'),
    Row(
        'misspelt-backbone-argument', 'out_indice=... in a backbone config',
        lambda env: MODELS.build(
            dict(type='FastViT', arch='t8', out_indice=(1, 2))), TypeError,
        r"FastViT has no argument 'out_indice' \(did you mean 'out_indices'"
        r'\?\); its arguments are .*Fix the backbone config'),
    Row(
        'unknown-backbone-type', 'a misspelt backbone type',
        lambda env: MODELS.build(dict(type='FastVit', arch='t8')), KeyError,
        r'FastVit is not in the .*registry\. Please check whether the value '
        r'of `FastVit` is correct'),
    Row(
        'out-indices-range', 'out_indices=(4,) with 4 output levels',
        lambda env: FastViT('t8', out_indices=(4, )), ValueError,
        r'out_indices \(4,\) out of range for 4 output levels \(valid: '
        r'-4\.\.3\)'),
    Row(
        'out-indices-duplicate', 'out_indices=(3, -1): the same level twice',
        lambda env: FastViT('t8', out_indices=(3, -1)), ValueError,
        r'Duplicate out_indices: \(3, -1\) name the same level twice '
        r'\(negative values count from the end: -1 is 3\); list each level '
        r'once'),
    Row(
        'frozen-stages-range', 'frozen_stages=5 with 4 stages',
        lambda env: FastViT('t8', frozen_stages=5), ValueError,
        r'frozen_stages must be in -1\.\.4 for FastViT \(-1: nothing, 0: '
        r'the stem, k: .*\), got 5'),
    Row('in-channels-invalid', 'in_channels=0',
        lambda env: FastViT('t8', in_channels=0), ValueError,
        r'in_channels must be a positive int \(3 for RGB images\), got 0'),
    Row(
        'neck-channels', 'FPN in_channels of another backbone (det)',
        _neck_mismatch, UsageError,
        r'model\.neck\.in_channels is \[64, 128, 256, 512\] but the backbone '
        r'outputs \[16, 32, 64, 128\] channels\. Set these in_channels'),
    Row(
        'head-channels', 'UperNet in_channels of another backbone (seg)',
        _decode_head_mismatch, UsageError,
        r'model\.decode_head\.in_channels is \[64, 128, 256, 512\] but '
        r'in_index \[0, 1, 2, 3\] of the backbone outputs \[16, 32, 64, 128\]'
        r' gives \[16, 32, 64, 128\]'),
    # ---------------------------------------------------------- checkpoints
    Row(
        'checkpoint-wrong-family', 'an EfficientViT-B0 file into a FastViT',
        lambda env: FastViT('t8').load_pretrained(env.efficientvit_b0_file()),
        CheckpointMismatchError,
        r"(?s)does not fit FastViT.*It is an EfficientViT checkpoint \(arch="
        r"'b0'\), not a FastViT one: use type=\"hvt_mm\.EfficientViT\""),
    Row(
        'checkpoint-wrong-variant', 'an EfficientViT-B0 file into a B1',
        lambda env: EfficientViT('b1').load_pretrained(
            env.efficientvit_b0_file()), CheckpointMismatchError,
        r"(?s)Shape mismatch.*It is an EfficientViT checkpoint of arch='b0': "
        r"set arch='b0' in the backbone config"),
    Row(
        'checkpoint-truncated', 'half of a checkpoint file', _truncated,
        RuntimeError, r"Cannot read checkpoint '.*b0\.pth': [^\n]*[^.]\. The "
        r'file may be empty, truncated \(an '
        r'interrupted download or save\).*download or save it again'),
    Row('checkpoint-zero-bytes', 'an empty checkpoint file', _zero_bytes,
        RuntimeError, r"Cannot read checkpoint '.*empty\.pth'.*The file may "
        r'be empty'),
    Row(
        'checkpoint-malicious-local', 'a file whose pickle runs os.system',
        lambda env: _malicious(env, by_url=False), UnsafeCheckpointError,
        r"Refusing to load '.*evil\.pth': it pickles posix\.system.*If you "
        r'trust the file, re-save its state_dict'),
    Row(
        'checkpoint-malicious-url', 'the same file served by URL',
        lambda env: _malicious(env, by_url=True), UnsafeCheckpointError,
        r"Refusing to load 'http://127\.0\.0\.1:\d+/evil\.pth': it pickles "
        r'posix\.system'),
    Row(
        'checkpoint-url-unreachable', 'a checkpoint URL without a network',
        lambda env: EfficientViT('b0').load_pretrained(
            'http://127.0.0.1:9/b0.pth'), CheckpointDownloadError,
        r'Could not download the checkpoint http://127\.0\.0\.1:9/b0\.pth .*'
        r'pass the local path instead, e\.g\. --cfg-options '
        r'model\.backbone\.init_cfg\.checkpoint='),
    Row(
        'checkpoint-fused-into-training-form',
        'a reparameterized FastViT file into deploy=False',
        _fused_into_training_form, CheckpointMismatchError,
        r'fused .*FastViT weights.*built with deploy=False\. Set deploy=True '
        r'in the backbone config'),
    Row(
        'checkpoint-wrong-prefix', 'prefix="backbone." for a bare backbone',
        lambda env: EfficientViT('b0').load_pretrained(
            env.efficientvit_b0_file(), prefix='backbone.'), ValueError,
        r"No checkpoint keys start with 'backbone\.'.*Drop `prefix` for a "
        r'bare backbone file'),
    Row(
        'checkpoint-missing-file', 'load_pretrained of a path that is absent',
        lambda env: EfficientViT('b0').load_pretrained(
            str(env.tmp / 'absent.pth')), FileNotFoundError,
        r"Checkpoint '.*absent\.pth' does not exist; check the path"),
    Row(
        'pretrained-missing', 'init_cfg names a file that is not there',
        _missing_pretrained, UsageError,
        r"pretrained weights 'checkpoints/fastervit_0\.pth\.tar' "
        r'\(model\.backbone\.init_cfg\.checkpoint\) not found.*--cfg-options '
        r'model\.backbone\.init_cfg=None'),
    Row(
        'test-checkpoint-missing', 'tools/test.py CONFIG absent.pth',
        lambda env: TEST.build_cfg(
            TEST.parse_args([DEMO, str(env.tmp / 'absent.pth')])), UsageError,
        r"checkpoint '.*absent\.pth' not found"),
    Row(
        'resume-missing', 'tools/train.py --resume absent.pth',
        lambda env: TRAIN.build_cfg(
            TRAIN.parse_args([DEMO, '--resume',
                              str(env.tmp / 'absent.pth')])), UsageError,
        r"--resume checkpoint '.*absent\.pth' not found"),
    # --------------------------------------------------------- config, data
    Row(
        'config-missing', 'a config path that does not exist',
        lambda env: load_config('configs/mask_rcnn_fastervit_9_coco.py'),
        UsageError, r"config file 'configs/mask_rcnn_fastervit_9_coco\.py' "
        r'does not exist'),
    Row(
        'cfg-options-unknown-key', '--cfg-options with a misspelt key',
        lambda env: load_config(DEMO, {'model.test_cfg.rcnn.max_per_imgs': 5}),
        UsageError, r"model\.test_cfg\.rcnn\.max_per_imgs: the config has no "
        r"'max_per_imgs' under 'model\.test_cfg\.rcnn' \(did you mean "
        r"'max_per_img'\?\).*write it in a config that inherits this one"),
    Row(
        'cfg-options-unknown-top-level', '--cfg-options max_iter=10',
        lambda env: load_config(DEMO, {'max_iter': 10}), UsageError,
        r"the config has no 'max_iter' at the top level \(did you mean "
        r"'max_iters'\?\)"),
    Row(
        'dataset-root-missing', 'data_root pointing nowhere',
        lambda env: env.train_cfg(
            DEMO, f'train_dataloader.dataset.data_root={env.tmp}/absent/'),
        UsageError, r'dataset path\(s\) not found: .*absent.*point data_root'
        r' at it with --cfg-options, or run `python '
        r'tools/misc/make_toy_data\.py`'),
    Row(
        'annotation-not-coco', 'ann_file is a JSON list, not COCO', _not_coco,
        UsageError,
        r'labels\.json \(train_dataloader\.dataset\.ann_file\) is not a COCO '
        r'annotation file: it is not a JSON object.*point ann_file at '
        r'instances_\*\.json'),
    Row(
        'cityscapes-no-train-ids', 'Cityscapes without *_labelTrainIds.png',
        _cityscapes_without_train_ids, UsageError,
        r'no label maps \*_gtFine_labelTrainIds\.png under .*gtFine/train '
        r'\(train_dataloader\.dataset\.data_prefix\.seg_map_path\).*'
        r'csCreateTrainIdLabelImgs.*tools/dataset_converters/cityscapes\.py'),
    Row(
        'processes-more-than-gpus', 'dist_train.sh CONFIG 2 with one GPU',
        _too_many_processes, UsageError,
        r'2 processes per machine but only 1 CUDA device\(s\) visible.*Pass '
        r'GPUS <= 1 to tools/dist_train\.sh'),
]


def test_catalogue_is_large_and_unique():
    assert len(ROWS) >= 25
    assert len({row.id for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize('row', ROWS, ids=[row.id for row in ROWS])
def test_error_catalogue(row: Row, request, tmp_path):
    with pytest.raises(row.error, match=row.match):
        row.trigger(Env(request, tmp_path))


# ------------------------------------------------- documented behaviours
def test_nan_and_inf_input_pass_through():
    """Not an error, by choice: checking values would synchronise the
    device on every forward. Non-finite values reach the outputs (and the
    loss, where the training log shows them); they are never masked."""
    model = FasterViT(arch=copy.deepcopy(FASTERVIT.cases[0].arch)).eval()
    image = torch.randn(1, 3, 64, 64)
    image[0, 0, 5, 5] = float('nan')
    image[0, 1, 40, 40] = float('inf')
    with torch.no_grad():
        outs = model(image)
    assert [o.shape[1] for o in outs] == list(model.out_channels)
    assert all(not torch.isfinite(o).all() for o in outs)


def test_unfused_fastvit_checkpoint_is_fused_into_deploy_model(tmp_path):
    torch.manual_seed(0)
    trained = FastViT('t8').eval()
    for module in trained.modules():  # non-trivial BN statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    path = tmp_path / 'unfused.pth'
    torch.save(trained.state_dict(), path)
    deploy = FastViT('t8', deploy=True).eval()
    deploy.load_pretrained(str(path))
    image = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        for fused, reference in zip(deploy(image), trained(image)):
            torch.testing.assert_close(fused, reference, rtol=1e-4, atol=1e-4)
