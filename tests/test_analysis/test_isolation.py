"""hvt_mm.analysis.isolation: results, child errors, timeouts, crashes."""
import os
import time

import pytest

from hvt_mm.analysis.isolation import IsolatedError, error_text, run_isolated


@pytest.mark.slow
def test_run_isolated_returns_or_raises_the_childs_outcome():
    pid = run_isolated(os.getpid)
    assert isinstance(pid, int) and pid != os.getpid()
    assert run_isolated(divmod, 7, 2) == (3, 1)
    with pytest.raises(IsolatedError) as error:
        run_isolated(int, 'x')
    assert str(error.value) == \
        "ValueError: invalid literal for int() with base 10: 'x'"
    assert error_text(error.value) == str(error.value)
    with pytest.raises(IsolatedError, match=r'^timed out after 0.5 s$'):
        run_isolated(time.sleep, 60, timeout=0.5)
    with pytest.raises(IsolatedError, match=r'died \(exit code 3\)'):
        run_isolated(os._exit, 3)
    with pytest.raises(IsolatedError, match='ModuleNotFoundError'):
        run_isolated(os.getpid, imports=['no_such_module_here'])
