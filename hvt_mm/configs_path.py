"""Locate the shipped configs (``configs/`` in a checkout, packaged too)."""
import os.path as osp


def get_config_path(name: str) -> str:
    """Absolute path of a shipped config.

    ``name`` is a file name such as ``'mask_rcnn_fastervit_2_coco.py'``.

    Works from a source checkout, an editable install and a wheel install
    (where ``configs/`` is packaged as ``hvt_mm/configs``).
    """
    here = osp.dirname(osp.abspath(__file__))
    for root in (osp.join(here, 'configs'), osp.join(here, '..', 'configs')):
        path = osp.normpath(osp.join(root, name))
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'No shipped config named {name!r}; see the configs/ directory of '
        'the hvt_mm repository for the available names.')
