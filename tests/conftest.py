"""Fixtures shared by the whole suite."""
import pytest
import torch


@pytest.fixture
def single_thread():
    """One intra-op thread for many tiny ops: on a shared 2-core machine
    torch's default threads spin against each other (tiny convs run ~40x
    slower). Use with ``pytestmark = pytest.mark.usefixtures(...)``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
