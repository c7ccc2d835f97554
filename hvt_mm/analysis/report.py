"""Benchmark reports: markdown tables and the ``.json``/``.md`` files that
store records next to the environment they were measured in."""
import json
import os
import os.path as osp
import platform
from typing import Dict, Optional, Sequence, Tuple

import torch


def fmt_number(value: Optional[float], digits: int) -> str:
    """``value`` with ``digits`` decimals, ``-`` for None."""
    return '-' if value is None else f'{value:.{digits}f}'


def markdown_grid(columns: Sequence[Tuple[str, str]],
                  rows: Sequence[Sequence]) -> str:
    """Markdown table; ``columns`` are (title, 'l' or 'r' alignment)."""
    align = {'l': ':--', 'r': '--:'}
    lines = [
        '| ' + ' | '.join(title for title, _ in columns) + ' |',
        '|' + '|'.join(align[side] for _, side in columns) + '|'
    ]
    lines += ['| ' + ' | '.join(str(v) for v in row) + ' |' for row in rows]
    return '\n'.join(lines)


def write_report(out_dir: str,
                 records: Sequence[Dict],
                 table: str,
                 stem: str = 'benchmark',
                 **extra) -> Tuple[str, str]:
    """Write ``{stem}.json`` (environment, ``extra``, records) and
    ``{stem}.md`` (environment line and ``table``) to ``out_dir``."""
    env = environment()
    os.makedirs(out_dir, exist_ok=True)
    json_path = osp.join(out_dir, f'{stem}.json')
    md_path = osp.join(out_dir, f'{stem}.md')
    with open(json_path, 'w') as f:
        json.dump(
            dict(environment=env, **extra, results=list(records)), f, indent=2)
    with open(md_path, 'w') as f:
        f.write(f'Environment: {json.dumps(env)}\n\n{table}\n')
    return json_path, md_path


def environment() -> Dict:
    """What the numbers depend on, stored next to them."""
    info = dict(
        torch=torch.__version__,
        python=platform.python_version(),
        machine=platform.machine(),
        cpu_threads=torch.get_num_threads(),
        cuda_device=None)
    if torch.cuda.is_available():
        info['cuda_device'] = torch.cuda.get_device_name()
    return info
