"""Findings gathered while checking a return, kept as blocks of row numbers so a million-row return with a
warning on every row costs one numpy array, not a million objects. Materialised only when reported."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfnis.spec.findings import Finding, Severity
from tfnis.spec.rules import severity_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _place(finding: Finding) -> tuple[str, int, str]:
    return (finding.file, -1 if finding.row is None else finding.row, finding.column or "")


@dataclass(frozen=True)
class FindingBlock:
    """One rule broken in one column of one file, at `rows` (spreadsheet rows: the header is row 1) or at file
    level (None)."""

    file: str
    column: str | None
    rule: str
    message: str
    rows: np.ndarray | None = None

    @property
    def severity(self) -> Severity:
        return severity_of(self.rule)

    @property
    def count(self) -> int:
        return 1 if self.rows is None else len(self.rows)

    def findings(self, limit: int | None = None) -> list[Finding]:
        rows = [None] if self.rows is None else self.rows[:limit].tolist()
        return [
            Finding(
                file=self.file,
                row=row,
                column=self.column,
                rule=self.rule,
                severity=self.severity,
                message=self.message,
            )
            for row in rows
        ]


@dataclass
class FindingLog:
    blocks: list[FindingBlock] = field(default_factory=list)

    def file_level(self, file: str, rule: str, message: str, column: str | None = None) -> None:
        self.blocks.append(FindingBlock(file, column, rule, message))

    def at_rows(self, file: str, rule: str, column: str | None, rows: pd.Index | np.ndarray, message: str) -> None:
        """Record the rule broken at these row numbers (a frame's index is its data-row numbers)."""
        import numpy as np

        rows = np.sort(np.asarray(rows, dtype=np.int64))
        if len(rows):
            self.blocks.append(FindingBlock(file, column, rule, message, rows))

    def once(self, file: str, rule: str, column: str | None, rows: pd.Index | np.ndarray, what: str) -> None:
        """Record something accepted and changed once for the column, at its first row, however many rows had it
        (`what` completes "N cells ..."): a note, not a list to work through."""
        import numpy as np

        rows = np.sort(np.asarray(rows, dtype=np.int64))
        if len(rows):
            cells = "1 cell" if len(rows) == 1 else f"{len(rows):,} cells"
            message = f"{cells} {what} (the first at row {rows[0]})."
            self.blocks.append(FindingBlock(file, column, rule, message, rows[:1]))

    def where(self, file: str, rule: str, column: str | None, mask: pd.Series, message: str) -> None:
        """Record the rule broken at the rows where `mask` is True (NA counts as False)."""
        import numpy as np

        hits = mask.fillna(False).to_numpy(dtype=bool) if mask.dtype != bool else mask.to_numpy()
        if hits.any():
            self.at_rows(file, rule, column, np.asarray(mask.index)[hits], message)

    def counts_by_rule(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for block in self.blocks:
            counts[block.rule] += block.count
        return counts

    def count(self, severity: Severity) -> int:
        return sum(b.count for b in self.blocks if b.severity is severity)

    def has_errors(self) -> bool:
        return any(b.severity is Severity.ERROR for b in self.blocks)

    def has_rule(self, rule: str) -> bool:
        return any(b.rule == rule for b in self.blocks)

    def findings(self, per_rule: int | None = None) -> list[Finding]:
        """Findings in the order to act on them: errors, then warnings, then notes; within each, problems with a
        whole file first, then by file and row. At most `per_rule` of each rule."""
        by_rule: dict[str, list[Finding]] = {}
        for block in self.blocks:
            by_rule.setdefault(block.rule, []).extend(block.findings(per_rule))
        out: list[Finding] = []
        for found in by_rule.values():
            found.sort(key=_place)
            out.extend(found[:per_rule])
        out.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.row is not None, *_place(f), f.rule))
        return out

    def frame(self) -> pd.DataFrame:
        """Every finding as one DataFrame (file, row, column, rule, severity, message), uncapped."""
        import numpy as np
        import pandas as pd

        parts = [
            pd.DataFrame(
                {
                    "file": b.file,
                    "row": pd.array(np.asarray([pd.NA]) if b.rows is None else b.rows, dtype="Int64"),
                    "column": b.column,
                    "rule": b.rule,
                    "severity": b.severity.value,
                    "message": b.message,
                }
            )
            for b in self.blocks
        ]
        columns = ["file", "row", "column", "rule", "severity", "message"]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
