"""Nearest-name suggestions for error messages ("did you mean ...?")."""
import difflib
from typing import Iterable


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices``, else ``''``.

    Case is ignored when matching (``'SA12'`` suggests ``'sa12'``).
    """
    choices = [str(c) for c in choices]
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(
        str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return f' (did you mean {by_lower[close[0]]!r}?)' if close else ''
