"""Fixtures and set-up shared by the whole suite."""
import importlib

import pytest
import torch


def pytest_configure(config):
    """Register hvt_mm's models, hooks and checkpoint loaders once for
    every test, as ``custom_imports`` does for a user's config."""
    importlib.import_module('hvt_mm')


@pytest.fixture
def single_thread():
    """One intra-op thread for many tiny ops: on a shared 2-core machine
    torch's default threads spin against each other (tiny convs run ~40x
    slower). Use with ``pytestmark = pytest.mark.usefixtures(...)``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
