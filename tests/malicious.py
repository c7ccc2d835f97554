"""A pickle payload for tests of the weights-only checkpoint loader."""
import os


class RunsShell:
    """Pickles as ``os.system('touch MARKER')``: if the file exists after a
    load, code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))
