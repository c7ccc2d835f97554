"""Tool helpers (FLOP counting, benchmarking); import the submodules."""
