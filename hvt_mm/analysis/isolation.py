"""One measurement in a fresh Python process: clean memory peaks (see
:mod:`.memory`), compile caches and torch settings.

The child is a ``multiprocessing`` *spawn* process (never a fork of this
one, which may hold threads, CUDA or a warm allocator). It sees this
process's ``sys.path`` (the same hvt_mm checkout), imports ``imports``
(backbones registered outside hvt_mm), calls ``fn`` and sends back its
result, which must pickle; ``fn`` must be importable by name.
"""
import importlib
import multiprocessing
from typing import Any, Callable, Optional, Sequence


class IsolatedError(RuntimeError):
    """The child failed; the message is its error (``Type: message``),
    a timeout or its exit code."""


def error_text(exc: BaseException, limit: Optional[int] = None) -> str:
    """An exception as the one-line error of a benchmark record."""
    text = str(exc) if isinstance(exc, IsolatedError) else \
        f'{type(exc).__name__}: {exc}'
    return text[:limit]


def _child(conn, fn: Callable, args: tuple, kwargs: dict,
           imports: Sequence[str]) -> None:
    try:
        for module in imports:
            importlib.import_module(module)
        reply = (True, fn(*args, **kwargs))
    except BaseException as exc:  # sent to the parent, which raises it
        reply = (False, error_text(exc))
    conn.send(reply)
    conn.close()


def run_isolated(fn: Callable,
                 *args,
                 timeout: Optional[float] = None,
                 imports: Sequence[str] = (),
                 **kwargs) -> Any:
    """``fn(*args, **kwargs)`` in a fresh process; its result, or
    :class:`IsolatedError` (the child's error, no reply within ``timeout``
    seconds, or the child died)."""
    context = multiprocessing.get_context('spawn')
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, fn, args, kwargs, tuple(imports)))
    child.start()
    sender.close()  # only the child holds it now: EOF when the child dies
    replied = False
    try:
        if not receiver.poll(timeout):
            raise IsolatedError(f'timed out after {timeout} s')
        ok, value = receiver.recv()
        replied = True
    except EOFError:
        child.join()
        raise IsolatedError(
            f'the child process died (exit code {child.exitcode})') from None
    finally:
        receiver.close()
        child.join(timeout=10 if replied else 0)
        if child.is_alive():
            child.kill()
            child.join()
    if not ok:
        raise IsolatedError(value)
    return value
