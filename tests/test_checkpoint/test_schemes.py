"""Checkpoints by URL (and every other mmengine scheme) load weights-only.

A local HTTP server inside the test (``http_server`` in conftest.py) serves
the files; nothing touches the internet.
"""
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import checkpoint as mm_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from hvt_mm.checkpoint import (CheckpointDownloadError, UnsafeCheckpointError,
                               schemes)
from hvt_mm.models.backbones import LightViT
from tests.malicious import RunsShell

TINY = dict(
    embed_dims=[16, 32, 64],
    depths=[1, 2, 1],
    num_heads=[1, 2, 4],
    mlp_ratios=[4, 2, 2],
    num_tokens=4)


def test_every_mmengine_scheme_has_a_weights_only_loader():
    for prefix, loader in CheckpointLoader._schemes.items():
        assert loader is schemes.LOADERS[prefix], prefix
    assert set(schemes.LOADERS) == set(CheckpointLoader._schemes)


def test_malicious_file_by_url_is_refused_and_runs_nothing(
        http_server, tmp_path):
    root, url = http_server
    marker = tmp_path / 'pwned'
    torch.save(
        {
            'state_dict': {
                'w': torch.ones(1)
            },
            'payload': RunsShell(str(marker))
        }, root / 'evil.pth')
    for load in (lambda u: CheckpointLoader.load_checkpoint(u, 'cpu'),
                 lambda u: _load_checkpoint(u, 'cpu')):  # load_from, test.py
        with pytest.raises(
                UnsafeCheckpointError, match=r'evil\.pth.*posix\.system'):
            load(f'{url}/evil.pth')
    model = LightViT(
        TINY, init_cfg=dict(type='Pretrained', checkpoint=f'{url}/evil.pth'))
    with pytest.raises(UnsafeCheckpointError):
        model.init_weights()
    assert not marker.exists()


def test_genuine_file_by_url_loads_and_is_cached(http_server):
    root, url = http_server
    source = LightViT(TINY)
    torch.save(
        {
            'state_dict': source.state_dict(),
            'meta': {
                'history': HistoryBuffer(),
                'empty': np.zeros(0)
            }
        }, root / 'lightvit.pth')
    model = LightViT(
        TINY,
        init_cfg=dict(type='Pretrained', checkpoint=f'{url}/lightvit.pth'))
    model.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name
    (root / 'lightvit.pth').unlink()  # the second load reads the cache
    raw = _load_checkpoint(f'{url}/lightvit.pth', 'cpu')
    assert raw['meta']['empty'].shape == (0, )
    assert len(raw['meta']['history'].data[0]) == 0


def test_unreachable_url_says_which_and_how_to_pass_a_file(http_server):
    _, url = http_server
    with pytest.raises(CheckpointDownloadError) as info:
        CheckpointLoader.load_checkpoint(f'{url}/missing.pth', 'cpu')
    message = str(info.value)
    assert f'{url}/missing.pth' in message
    assert 'init_cfg.checkpoint=/path/to/file' in message


def test_named_schemes_resolve_then_load_weights_only(http_server, tmp_path,
                                                      monkeypatch):
    root, url = http_server
    marker = tmp_path / 'pwned'
    torch.save({'payload': RunsShell(str(marker))}, root / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}}, root / 'good.pth')
    table = {'good': f'{url}/good.pth', 'evil': f'{url}/evil.pth'}
    for getter in ('get_torchvision_models', 'get_external_models',
                   'get_mmcls_models'):
        monkeypatch.setattr(mm_checkpoint, getter, lambda: table)
    monkeypatch.setattr(mm_checkpoint, '_process_mmcls_checkpoint',
                        lambda checkpoint: checkpoint)
    for scheme in ('torchvision://', 'modelzoo://', 'open-mmlab://',
                   'openmmlab://', 'mmcls://'):
        good = CheckpointLoader.load_checkpoint(scheme + 'good', 'cpu')
        assert torch.equal(good['state_dict']['w'], torch.ones(2)), scheme
        with pytest.raises(UnsafeCheckpointError):
            CheckpointLoader.load_checkpoint(scheme + 'evil', 'cpu')
    assert not marker.exists()


def test_object_store_bytes_load_weights_only(tmp_path, monkeypatch):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'payload': RunsShell(str(marker))}, path)

    class FakeBackend:

        def get(self, filename):
            return path.read_bytes()

    monkeypatch.setattr(schemes, 'get_file_backend',
                        lambda *args, **kwargs: FakeBackend())
    with pytest.raises(UnsafeCheckpointError, match='s3://bucket/evil.pth'):
        CheckpointLoader.load_checkpoint('s3://bucket/evil.pth', 'cpu')
    assert not marker.exists()
