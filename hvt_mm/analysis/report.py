"""Benchmark reports: the markdown table builder, the environment record
and the ``.json``/``.md`` files that store records next to it."""
import json
import os
import os.path as osp
import platform
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import torch

#: ``(title, 'l' or 'r', record key or function of the record, decimals)``;
#: decimals None shows the value as it is (None as empty).
Column = Tuple[str, str, Union[str, Callable[[Dict], Any]], Optional[int]]
INPUT = ('input', 'l', lambda r: f"{r['height']}x{r['width']}", None)
BATCH = ('batch', 'r', 'batch', None)
SPEED = [('img/s (median)', 'r', 'img_s', 2), ('ms/img', 'r', 'ms_per_img', 2)]
MEMORY_PARAMS_NOTE = [('peak mem (MB)', 'r', 'peak_mem_mb', 1),
                      ('params (M)', 'r', 'params_m', 2),
                      ('note', 'l', 'error', None)]


def fmt_number(value: Optional[float], digits: int) -> str:
    """``value`` with ``digits`` decimals, ``-`` for None."""
    return '-' if value is None else f'{value:.{digits}f}'


def markdown_grid(columns: Sequence[Tuple], rows: Sequence[Sequence]) -> str:
    """Markdown table; ``columns`` start with (title, 'l' or 'r')."""
    align = {'l': ':--', 'r': '--:'}
    lines = [
        '| ' + ' | '.join(c[0] for c in columns) + ' |',
        '|' + '|'.join(align[c[1]] for c in columns) + '|'
    ]
    lines += ['| ' + ' | '.join(str(v) for v in row) + ' |' for row in rows]
    return '\n'.join(lines)


def record_table(records: Sequence[Dict], columns: Sequence[Column]) -> str:
    """Markdown table with one row per record (see :data:`Column`)."""

    def cell(record: Dict, column: Column) -> Any:
        _, _, key, digits = column
        value = key(record) if callable(key) else record.get(key)
        if digits is not None:
            return fmt_number(value, digits)
        return '' if value is None else value

    return markdown_grid(columns,
                         [[cell(r, c) for c in columns] for r in records])


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
    return dict(
        torch=torch.__version__,
        python=platform.python_version(),
        machine=platform.machine(),
        cpu=platform.processor() or platform.machine(),
        threads=torch.get_num_threads(),
        cuda_device=torch.cuda.get_device_name()
        if torch.cuda.is_available() else None)
