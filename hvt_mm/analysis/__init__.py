"""The measurement engine behind ``tools/analysis_tools``: one measurement
(:mod:`.timing` on :mod:`hvt_mm.engine.timing`, peak memory in
:mod:`.memory`), one fresh-process runner (:mod:`.isolation`), one table
builder and environment record (:mod:`.report`); FLOPs (SDPA included)
and the weight-free model builders. Import the submodules (nothing is
imported here, so each tool loads only what it uses).
"""
