"""Datasets shipped with hvt_mm: the toy generators in :mod:`.toy` and
data transforms in :mod:`.transforms`.

Only the transforms are imported (they register on import);
``hvt_mm.datasets.toy`` stays a numpy/OpenCV package that registers no
dataset classes (configs use the stock mmdet/mmseg datasets on its files).
"""
from . import transforms

__all__ = ['transforms']
