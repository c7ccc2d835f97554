"""Fixtures and set-up shared by the whole suite."""
import functools
import http.server
import importlib
import threading

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


@pytest.fixture(scope='session')
def toy_data(tmp_path_factory):
    """A small copy of the three toy datasets (8 train / 4 val images each)
    under one root, as ``tools/misc/make_toy_data.py`` lays them out:
    ``<root>/toy_coco``, ``<root>/toy_ade``, ``<root>/toy_cityscapes``."""
    from hvt_mm.datasets.toy import make_all
    root = tmp_path_factory.mktemp('toy_data')
    make_all(root, seed=0, num_train=8, num_val=4)
    return root


@pytest.fixture
def http_server(tmp_path, monkeypatch):
    """``(root, url)``: files written under ``root`` are served at ``url``
    by a local HTTP server; the download cache lives under ``tmp_path``."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    root = tmp_path / 'served'
    root.mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()
    httpd.server_close()


def randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights and BatchNorm statistics, so that no output is trivial.

    Every floating-point entry of the state dict moves by O(0.1) (fresh BN
    affines, 1e-5 layer scales and zero biases would hide fusion and
    conversion errors); running variances are drawn from [0.5, 1.5).
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            else:
                tensor.add_(0.1 * torch.randn(tensor.shape, generator=gen))
    return model


def flat_parameters(module: torch.nn.Module) -> torch.Tensor:
    """Every parameter of ``module``, detached and concatenated."""
    return torch.cat([p.detach().flatten() for p in module.parameters()])
