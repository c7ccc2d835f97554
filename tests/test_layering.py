"""Dependencies inside the package point one way and form no cycle.

The import graph is read from the source (every ``import`` statement,
function-level ones included: a lazy import hides a cycle, it does not
remove it), so the check does not depend on import order.
"""
import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / 'hvt_mm'


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob('*.py')}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ''
    is_package = MODULES[module].name == '__init__.py'
    base = module.split('.')
    base = base[:len(base) - node.level + (1 if is_package else 0)]
    return '.'.join(base + ([node.module] if node.module else []))


def imports_of(module: str) -> Set[str]:
    """hvt_mm modules that ``module`` imports anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            names = [target] + [f'{target}.{a.name}' for a in node.names]
        else:
            continue
        found.update(n for n in names if n in MODULES and n != module)
    return found


GRAPH: Dict[str, Set[str]] = {m: imports_of(m) for m in MODULES}


def _cycles() -> List[List[str]]:
    """One cycle per strongly connected component with more than one
    module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in GRAPH[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_graph_sees_relative_and_lazy_imports():
    base = imports_of('hvt_mm.models.backbones.base')
    assert 'hvt_mm.checkpoint' in base
    assert 'hvt_mm.models.backbones.variants' in base


def test_no_import_cycles():
    assert _cycles() == []


def test_checkpoint_does_not_import_models():
    offenders = {
        m: sorted(i for i in GRAPH[m] if i.startswith('hvt_mm.models'))
        for m in MODULES if m.startswith('hvt_mm.checkpoint')
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def test_every_module_imports_in_a_fresh_interpreter():
    code = ('import importlib, sys\n'
            f'for name in {sorted(MODULES)!r}:\n'
            '    importlib.import_module(name)\n'
            'print("ok")')
    result = subprocess.run([sys.executable, '-c', code],
                            cwd=ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith('ok')


#: The layers, bottom first: a module may import its own layer and those
#: below it, never one above (the root package, which imports what
#: ``import hvt_mm`` registers, is the top).
LAYERS = [
    ('hvt_mm.utils', 'hvt_mm.version', 'hvt_mm.configs_path'),
    ('hvt_mm.checkpoint', ),
    ('hvt_mm.integration', ),
    ('hvt_mm.registry', ),
    ('hvt_mm.models', ),
    ('hvt_mm.engine', 'hvt_mm.datasets'),
    ('hvt_mm.analysis', ),
    ('hvt_mm.cli', ),
    ('hvt_mm.deployment', ),
]


def _layer(module: str) -> int:
    if module == 'hvt_mm':
        return len(LAYERS)
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + '.') for p in prefixes):
            return rank
    raise AssertionError(f'{module} belongs to no layer; add it to LAYERS')


def test_layers_import_downwards_only():
    upward = {
        module: sorted(i for i in GRAPH[module] if _layer(i) > _layer(module))
        for module in MODULES
    }
    assert {m: i for m, i in upward.items() if i} == {}
