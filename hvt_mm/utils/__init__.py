"""Helpers shared by the command-line tools (config loading and checks,
``--cfg-options``); import the submodules."""
