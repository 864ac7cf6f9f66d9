"""Generate whole sets of synthetic council returns: in memory (generate_frames) or as the files a council
would upload (generate_returns), with the ground truth of who is who for the linkage benchmarks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.generate import reference

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.generate.recording import RecordedPeriod

DEFAULT_LAST_PERIOD = date(2025, 9, 30)
TF6_FIRST_PERIOD, TF6_LAST_PERIOD = date(2015, 9, 30), date(2020, 9, 30)  # phase 2 began April 2015
SF10_FIRST_PERIOD = date(2022, 9, 30)
EFFECTS_FILE = "effects.json"
TRUTH_COLUMNS = ("la_code", "period_end", "family_id", "person_id", "true_family", "true_person")


def half_years_back(last: date, count: int) -> list[date]:
    """`count` consecutive period ends (31 March / 30 September) ending at `last`, oldest first."""
    if (last.month, last.day) not in ((3, 31), (9, 30)):
        raise ValueError("a period ends on 31 March or 30 September")
    ends = [last]
    while len(ends) < count:
        d = ends[-1]
        ends.append(date(d.year, 3, 31) if d.month == 9 else date(d.year - 1, 9, 30))
    return ends[::-1]


def choose_period_ends(periods: int, last: date | None = None) -> list[date]:
    """K consecutive half-years under one framework: Supporting Families up to 2025-09-30 when they fit
    (7 periods from 2022-09-30), else the Troubled Families years 2015-09-30 to 2020-09-30 (11 periods)."""
    if periods < 1:
        raise ValueError("periods must be at least 1")
    if last is None:
        sf10 = half_years_back(DEFAULT_LAST_PERIOD, periods)
        last = DEFAULT_LAST_PERIOD if sf10[0] >= SF10_FIRST_PERIOD else TF6_LAST_PERIOD
    ends = half_years_back(last, periods)
    in_tf6 = ends[0] >= TF6_FIRST_PERIOD and ends[-1] <= TF6_LAST_PERIOD
    if not (in_tf6 or ends[0] >= SF10_FIRST_PERIOD):
        raise ValueError(
            f"{periods} half-years ending {last} do not fit one framework: choose periods between "
            f"{TF6_FIRST_PERIOD} and {TF6_LAST_PERIOD} (TF6_2015) or from {SF10_FIRST_PERIOD} (SF10_2022)"
        )
    return ends


@dataclass(frozen=True)
class GeneratedFrames:
    """Every return of a generated set, in memory: one RecordedPeriod (all councils) per period end."""

    period_ends: tuple[date, ...]
    by_period: tuple[RecordedPeriod, ...] = field(repr=False)
    effects: tuple[dict[str, object], ...] = ()  # the planted effects (tfnis.generate.effects), realised

    @cached_property
    def families(self) -> pd.DataFrame:
        import pandas as pd

        return pd.concat([r.families for r in self.by_period], ignore_index=True)

    @cached_property
    def individuals(self) -> pd.DataFrame:
        import pandas as pd

        return pd.concat([r.individuals for r in self.by_period], ignore_index=True)

    @cached_property
    def truth(self) -> pd.DataFrame:
        import pandas as pd

        return pd.concat([r.truth for r in self.by_period], ignore_index=True)

    def returns(self) -> Iterator[tuple[str, date, pd.DataFrame, pd.DataFrame]]:
        """(la_code, period_end, families, individuals) for each council return, council by council."""
        for period_end, rec in zip(self.period_ends, self.by_period, strict=True):
            people = dict(tuple(rec.individuals.groupby("la_code", sort=False)))
            for la_code, fams in rec.families.groupby("la_code", sort=False):
                yield str(la_code), period_end, fams.reset_index(drop=True), people[la_code].reset_index(drop=True)


@dataclass(frozen=True)
class GeneratedReturn:
    la_code: str
    period_end: date
    families: Path
    individuals: Path
    n_families: int
    n_individuals: int


@dataclass(frozen=True)
class GeneratedSet:
    """What generate_returns wrote: one entry per council return, and the truth file."""

    out: Path
    returns: tuple[GeneratedReturn, ...]
    truth: Path
    seconds: float
    effects: Path | None = None

    @property
    def n_families(self) -> int:
        return sum(r.n_families for r in self.returns)

    @property
    def n_individuals(self) -> int:
        return sum(r.n_individuals for r in self.returns)


def generate_frames(
    *,
    councils: int,
    families: int,
    periods: int,
    seed: int,
    error_rate: float = 0.0,
    last_period: date | None = None,
    effects: Mapping[str, float] | None = None,
) -> GeneratedFrames:
    """The returns of `councils` councils x `periods` half-years, about `families` families per return.

    Deterministic for a seed. error_rate is the share of identifier cells (UPN, NINO, postcode, NHS
    number) made invalid; at 0 every identifier passes tfnis.spec.identifiers. effects: measure -> DELTA,
    planted from the first period end after a family's support starts (tfnis.generate.effects).
    """
    import numpy as np

    from tfnis.generate.effects import MEASURES, Planting
    from tfnis.generate.population import Population
    from tfnis.generate.recording import Practice, record

    known = reference.councils()
    if not 1 <= councils <= len(known):
        raise ValueError(f"councils must be between 1 and {len(known)}")
    if families < 1:
        raise ValueError("families must be at least 1")
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError("error_rate must be between 0 and 1")
    unknown = sorted(set(effects or {}) - set(MEASURES))
    if unknown:
        raise ValueError(f"no measure named {', '.join(unknown)}: choose from {', '.join(MEASURES)}")
    period_ends = choose_period_ends(periods, last_period)
    population_seed, recording_seed = np.random.SeedSequence(seed).spawn(2)
    population = Population(list(known[:councils]), families, period_ends, np.random.default_rng(population_seed))
    rng = np.random.default_rng(recording_seed)
    practice = Practice.draw(councils, rng)
    planting = Planting(dict(effects or {}))
    recorded = tuple(record(population, snap, practice, error_rate, rng, planting) for snap in population.snapshots())
    return GeneratedFrames(tuple(period_ends), recorded, tuple(planting.manifest()))


def generate_returns(
    out: Path,
    *,
    councils: int,
    families: int,
    periods: int,
    seed: int,
    error_rate: float = 0.0,
    last_period: date | None = None,
    effects: Mapping[str, float] | None = None,
) -> GeneratedSet:
    """Write OUT/<la_code>/<period_end>/{families,individuals}.csv, OUT/truth.csv and OUT/effects.json (the
    planted effects, an empty list when none; see generate_frames)."""
    started = time.perf_counter()
    frames = generate_frames(
        councils=councils, families=families, periods=periods, seed=seed, error_rate=error_rate,
        last_period=last_period, effects=effects,
    )  # fmt: skip
    out = Path(out)
    written = []
    for la_code, period_end, fams, people in frames.returns():
        folder = out / la_code / period_end.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        fams.to_csv(folder / "families.csv", index=False, encoding="utf-8", lineterminator="\n")
        people.to_csv(folder / "individuals.csv", index=False, encoding="utf-8", lineterminator="\n")
        written.append(
            GeneratedReturn(
                la_code, period_end, folder / "families.csv", folder / "individuals.csv", len(fams), len(people)
            )
        )
    truth = out / "truth.csv"
    frames.truth.loc[:, list(TRUTH_COLUMNS)].to_csv(truth, index=False, lineterminator="\n")
    manifest = out / EFFECTS_FILE
    manifest.write_text(json.dumps({"effects": list(frames.effects)}, indent=2) + "\n", encoding="utf-8")
    return GeneratedSet(out, tuple(written), truth, time.perf_counter() - started, manifest)
