"""What a check of a return says: findings with file, row, column, rule, severity and a message."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"  # rejects the submission
    WARNING = "warning"  # reported; the row is kept
    INFO = "info"  # something accepted and changed (an alias, a roll-up), said so the council is not surprised


class Status(StrEnum):
    VALID = "VALID"
    REJECTED = "REJECTED"


class Finding(BaseModel):
    """One problem in a return. `row` is 1 for the first data row, None for file-level findings.

    The message never contains the value of an identifier column.
    """

    model_config = ConfigDict(frozen=True)

    file: str
    row: int | None
    column: str | None
    rule: str
    severity: Severity
    message: str
