"""Measurement helpers behind ``tools/analysis_tools``: timing, memory,
FLOPs (``scaled_dot_product_attention`` included) and the weight-free model
builders. Import the submodules.

Nothing is imported here: ``python -m hvt_mm.analysis.backbone_benchmark``
runs that module as ``__main__`` and must not find it imported already.
"""
