"""Import a script under tools/ or demo/ as a module (they are not a
package), so tests can call its ``main(argv)`` in-process."""
import importlib.util
import os.path as osp
from types import ModuleType

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool(path: str) -> ModuleType:
    """``path`` relative to the repository root, e.g. ``'tools/train.py'``.
    """
    name = 'hvt_tool_' + osp.splitext(path)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
