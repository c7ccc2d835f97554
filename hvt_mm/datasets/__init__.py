"""Datasets shipped with hvt_mm: the toy generators in :mod:`.toy`.

Nothing is imported here, so ``hvt_mm.datasets.toy`` stays a numpy/OpenCV
package that registers no dataset classes (configs use the stock
mmdet/mmseg datasets on its files).
"""
