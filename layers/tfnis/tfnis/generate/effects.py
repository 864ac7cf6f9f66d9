"""Known effects of support, planted in generated returns so the comparison (tfnis.impact) can be checked
against a known answer.

From the first period end after a family's support starts, the expected value of a measure moves by DELTA for
the family and everyone in it: a count by DELTA per period (added as a Poisson draw when positive, removed by
binomial thinning when negative), a Y/N measure by DELTA in probability (0.1 is ten percentage points). A count
cannot fall below 0 nor a probability leave 0..1, so where the base rate is lower than the cut the realised
shift is smaller: `expected_shift` in the manifest is the shift actually planted, averaged over the treated rows
that were recorded, which is what an unbiased comparison should recover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

# measure -> (table, kind); the names are the research extract's (and the return's) column names.
MEASURES: dict[str, tuple[str, str]] = {
    "evictions": ("families", "count"),
    "homelessness_applications": ("families", "count"),
    "weeks_homeless": ("families", "count"),
    "police_callouts": ("families", "count"),
    "rent_arrears": ("families", "probability"),
    "asb_nfi": ("individuals", "count"),
    "asb_fi": ("individuals", "count"),
    "alcohol_dependent": ("individuals", "probability"),
    "drug_dependent": ("individuals", "probability"),
    "neet": ("individuals", "probability"),
    "missing_education": ("individuals", "probability"),
    "mental_health": ("individuals", "probability"),
}


def _reference_measures() -> dict[str, tuple[str, str]]:
    """The count outcomes of the national reference datasets (tfnis generate --reference plants them), under
    the research extract's table of each: reference_<dataset>."""
    from tfnis.reference.contract import compared_outcomes

    return {outcome: (f"reference_{dataset}", "count") for outcome, dataset in compared_outcomes().items()}


REFERENCE_MEASURES: dict[str, tuple[str, str]] = _reference_measures()
MEASURES |= REFERENCE_MEASURES


def parse_effect(text: str) -> tuple[str, float]:
    """'police_callouts=-0.5' -> ('police_callouts', -0.5); a ValueError naming what is wrong otherwise."""
    measure, sep, value = text.partition("=")
    measure = measure.strip()
    if not sep or measure not in MEASURES:
        raise ValueError(f"--effect {text!r}: expected MEASURE=DELTA with MEASURE one of {', '.join(MEASURES)}")
    try:
        delta = float(value)
    except ValueError:
        raise ValueError(f"--effect {text!r}: DELTA must be a number") from None
    if MEASURES[measure][1] == "probability" and not -1.0 <= delta <= 1.0:
        raise ValueError(f"--effect {text!r}: a Y/N measure moves by a probability between -1 and 1")
    return measure, delta


def parse_effects(texts: Iterable[str]) -> dict[str, float]:
    effects: dict[str, float] = {}
    for text in texts:
        measure, delta = parse_effect(text)
        if measure in effects:
            raise ValueError(f"--effect {measure} given twice")
        effects[measure] = delta
    return effects


@dataclass
class Planting:
    """Applies the effects period by period and keeps the realised expected shift of each."""

    deltas: Mapping[str, float]
    _shift: dict[str, float] = field(default_factory=dict)
    _rows: dict[str, int] = field(default_factory=dict)

    def counts(
        self, measure: str, values: np.ndarray, mean: np.ndarray, treated: np.ndarray, filled: np.ndarray, rng
    ) -> np.ndarray:
        """Counts drawn with `mean`, moved by the effect on treated rows."""
        delta = self.deltas.get(measure, 0.0)
        if delta == 0.0:
            return values
        mean = np.broadcast_to(np.asarray(mean, dtype=float), values.shape)
        out = np.asarray(values, dtype=np.int64).copy()
        at = np.flatnonzero(treated)
        if delta > 0:
            out[at] += rng.poisson(delta, size=len(at))
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                keep = np.clip(np.nan_to_num(1.0 + delta / mean[at], nan=0.0), 0.0, 1.0)
            out[at] = rng.binomial(out[at], keep)
        self._tally(measure, np.maximum(mean + delta, 0.0) - mean, treated & filled)
        return out

    def chance(self, measure: str, p: np.ndarray, treated: np.ndarray, filled: np.ndarray) -> np.ndarray:
        """The probability of Y, moved by the effect on treated rows."""
        delta = self.deltas.get(measure, 0.0)
        p = np.broadcast_to(np.asarray(p, dtype=float), treated.shape)
        if delta == 0.0:
            return p
        moved = np.where(treated, np.clip(p + delta, 0.0, 1.0), p)
        self._tally(measure, moved - p, treated & filled)
        return moved

    def _tally(self, measure: str, shift: np.ndarray, rows: np.ndarray) -> None:
        self._shift[measure] = self._shift.get(measure, 0.0) + float(shift[rows].sum())
        self._rows[measure] = self._rows.get(measure, 0) + int(rows.sum())

    def manifest(self) -> list[dict[str, object]]:
        """One entry per planted effect: what was asked and what was realised."""
        out: list[dict[str, object]] = []
        for measure, delta in self.deltas.items():
            rows = self._rows.get(measure, 0)
            table, kind = MEASURES[measure]
            out.append(
                {
                    "measure": measure, "table": table, "kind": kind, "delta": delta,
                    "expected_shift": self._shift.get(measure, 0.0) / rows if rows else None,
                    "treated_rows_recorded": rows,
                }
            )  # fmt: skip
        return out
