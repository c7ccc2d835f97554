"""The command-line layer above models and engine: config loading,
``--cfg-options``, the pre-run checks behind the error catalogue (config
keys, data, channels, processes) and launching a Runner. Used by
``tools/`` and ``demo/``; ``import hvt_mm`` does not import it."""
