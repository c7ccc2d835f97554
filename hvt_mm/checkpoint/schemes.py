"""Every mmengine checkpoint scheme, read through the weights-only loader.

mmengine's own loaders read local, ``s3://`` and ``pavi://`` files with a
bare ``torch.load`` and everything that resolves to a URL (``http(s)://``,
``torchvision://``, ``modelzoo://``, ``open-mmlab://``, ``mmcls://``)
through ``torch.hub.load_state_dict_from_url``, whose ``weights_only``
defaults to False: a downloaded file could run arbitrary code. The loaders
here resolve names exactly as mmengine does, then read every file with
:func:`~hvt_mm.checkpoint.io.load_checkpoint_file`.
:mod:`hvt_mm.integration` registers them with mmengine, which covers
``init_cfg=Pretrained``, ``load_from``, ``resume`` and ``tools/test.py
CONFIG URL``.
"""
import os
import os.path as osp
from tempfile import TemporaryDirectory
from typing import Any, Optional
from urllib.parse import urlparse

import torch
from mmengine.dist import get_dist_info
from mmengine.fileio import get_file_backend
from mmengine.runner import checkpoint as mm_checkpoint

from .io import load_checkpoint_file


class CheckpointDownloadError(OSError):
    """A checkpoint URL could not be downloaded."""


def load_from_local(filename: str, map_location: Any = None) -> Any:
    """A local file."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(
            f'Checkpoint {filename!r} does not exist; check the path '
            '(relative paths start at the working directory).')
    return load_checkpoint_file(filename, map_location)


def _cached_path(url: str, model_dir: Optional[str]) -> str:
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    return osp.join(model_dir, osp.basename(urlparse(url).path))


def _download(url: str, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    try:
        # Writes a temporary file and renames it: no half files in the cache.
        torch.hub.download_url_to_file(url, path, progress=False)
    except Exception as exc:  # URLError, HTTPError, socket errors
        raise CheckpointDownloadError(
            f'Could not download the checkpoint {url} ({exc}). Without '
            'internet access, download the file elsewhere and pass the '
            'local path instead, e.g. --cfg-options '
            'model.backbone.init_cfg.checkpoint=/path/to/file (or '
            'load_from=/path/to/file).') from exc


def load_from_http(filename: str,
                   map_location: Any = None,
                   model_dir: Optional[str] = None) -> Any:
    """A URL, downloaded once into ``$TORCH_HOME/hub/checkpoints``.

    As in mmengine, rank 0 downloads first and the other ranks wait.
    """
    path = _cached_path(filename, model_dir)
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.isfile(path):
        _download(filename, path)
    if world_size > 1:
        torch.distributed.barrier()
        if not osp.isfile(path):  # another machine's cache
            _download(filename, path)
    return load_checkpoint_file(path, map_location, name=filename)


def load_from_torchvision(filename: str, map_location: Any = None) -> Any:
    """``torchvision://NAME`` (and the deprecated ``modelzoo://NAME``)."""
    name = filename.split('://', 1)[1]
    try:
        urls = mm_checkpoint.get_torchvision_models()
    except Exception as exc:  # torchvision missing or broken
        raise RuntimeError(
            f'{filename} needs torchvision to look up the URL, which '
            f'failed ({type(exc).__name__}: {exc}); pass the URL or a '
            'local file instead.') from exc
    return load_from_http(urls[name], map_location)


def load_from_openmmlab(filename: str, map_location: Any = None) -> Any:
    """``open-mmlab://NAME`` / ``openmmlab://NAME`` (mmengine's table)."""
    name = filename.split('://', 1)[1]
    name = mm_checkpoint.get_deprecated_model_names().get(name, name)
    url = mm_checkpoint.get_external_models()[name]
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location)
    return load_from_local(
        osp.join(mm_checkpoint._get_mmengine_home(), url), map_location)


def load_from_mmcls(filename: str, map_location: Any = None) -> Any:
    """``mmcls://NAME``: an mmcls classifier's backbone."""
    url = mm_checkpoint.get_mmcls_models()[filename[len('mmcls://'):]]
    return mm_checkpoint._process_mmcls_checkpoint(
        load_from_http(url, map_location))


def load_from_ceph(filename: str,
                   map_location: Any = None,
                   backend: str = 'petrel') -> Any:
    """``s3://`` and ``petrel://`` objects, read into memory."""
    data = get_file_backend(
        filename, backend_args={
            'backend': backend
        }).get(filename)
    return load_checkpoint_file(data, map_location, name=filename)


def load_from_pavi(filename: str, map_location: Any = None) -> Any:
    """``pavi://`` model-cloud files (needs the ``pavi`` package)."""
    from pavi import modelcloud
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as tmp_dir:
        path = osp.join(tmp_dir, model.name)
        model.download(path)
        return load_checkpoint_file(path, map_location, name=filename)


LOADERS = {
    '': load_from_local,
    'http://': load_from_http,
    'https://': load_from_http,
    'torchvision://': load_from_torchvision,
    'modelzoo://': load_from_torchvision,
    'open-mmlab://': load_from_openmmlab,
    'openmmlab://': load_from_openmmlab,
    'mmcls://': load_from_mmcls,
    r'(\S+\:)?s3://': load_from_ceph,
    r'(\S+\:)?petrel://': load_from_ceph,
    'pavi://': load_from_pavi,
}
