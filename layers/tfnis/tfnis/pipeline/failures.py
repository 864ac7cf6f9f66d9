"""What may be logged about a crash: the exception's type and where it happened, never its message.

An exception message can quote a cell (pandas does: "could not convert 'Smith' …"), and identifier values
must never reach a log (privacy invariant 2).
"""

from __future__ import annotations

import traceback
from pathlib import Path


def failure_fields(error: BaseException, frames: int = 6) -> dict[str, object]:
    stack = traceback.extract_tb(error.__traceback__)[-frames:]
    return {
        "error_type": type(error).__name__,
        "where": [f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}" for frame in stack],
    }
