"""Disclosure control across periods: k on the panel, not only per period (docs/disclosure.md "Across periods").

A family (person) is one entity seen in several rows linked by its key. What someone may know of it is its
trajectory (the council of each period it is in: visible in the partitions, so never blanked) and its
quasi-identifiers in every period. So classes are formed on entities: the trajectory plus, for each
quasi-identifier, the sequence of its values over the entity's periods (blank is a value of its own).

1. Trajectories held by fewer than K entities are cut to their first stint (the rows at the first council,
   before a move); still fewer than K, the entity's rows are left out. Their members' rows go with them.
2. People's sex, ethnic group, relation and age band are made the same in every period (the first period's
   value; blank in every period if blank in any), so a value blanked in one period cannot show in another and
   a birthday cannot be read off a changing band.
3. Local suppression (tfnis.disclosure.suppression) on the entity table, with the trajectory fixed; a cell
   blanked there is blanked in all the entity's rows. When that costs more than PanelMaxSuppressionShare, the
   next level is tried (FAMILY_LEVELS, INDIVIDUAL_LEVELS); beyond the last the release is refused
   (DisclosureRefused), with the shares each level needed.
Every quasi-identifier shown is constant per entity or part of its sequence, and the trajectory fixes council
and period, so k across periods gives k in every period too (tests/unit/test_panel_protect.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tfnis.anonymise.minimise import AGE_BANDS, FAMILY_SIZE_BANDS
from tfnis.disclosure.control import DisclosureRefused
from tfnis.disclosure.measures import class_sizes
from tfnis.disclosure.suppression import suppress_locally
from tfnis.panel.columns import PanelColumn, PanelType, panel_columns

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.panel.risk import PanelRisk

FAMILY = "family_key"
PERSON = "person_key"
# Generalisation levels, tried in turn while suppression would cost more than the limit: families' months since
# support started in steps of 1, 3, 6 and 12 months with family size at minimise's levels 0, 0, 1 and 2; people's
# age band and ethnic group at minimise's levels 0, 1 and 2 (bands coarser than the staged ones are re-banded).
FAMILY_LEVELS: tuple[tuple[int, int], ...] = ((1, 0), (3, 0), (6, 1), (12, 2))
INDIVIDUAL_LEVELS: tuple[int, ...] = (0, 1, 2)
MONTH_COLUMNS: tuple[str, ...] = ("months_since_support_start",)
INVARIANT: tuple[str, ...] = ("relation_in_family", "sex", "age_band", "ethnic_group")
# A family's size in each period is also a count of its rows in the individuals table; the families table shows
# the band at its first period, so a change (a birth, someone leaving) is not one more quasi-identifier.
FAMILY_INVARIANT: tuple[str, ...] = ("family_size",)


@dataclass(frozen=True)
class Rules:
    """One table's quasi-identifiers as shown in its rows, and its sensitive measures (value meaning 'no')."""

    table: str
    entity: str
    quasi_identifiers: tuple[str, ...]
    sensitive: dict[str, object] = field(default_factory=dict)


def family_rules() -> Rules:
    return Rules(
        "families", FAMILY, ("framework", "family_size", "months_since_support_start"),
        {"hp_DOMESTIC_ABUSE": False, "hp_CRIME_ASB": False, "hp_CRIME": False},
    )  # fmt: skip


def individual_rules(area: str = "") -> Rules:
    varying = ("missing_education_eligible", "neet_eligible", *((area,) if area else ()))
    return Rules(
        "individuals", PERSON, (*INVARIANT, *varying),
        {"domestic_violence": "NONE", "mental_health": False, "drug_dependent": False, "alcohol_dependent": False},
    )  # fmt: skip


@dataclass(frozen=True)
class ProtectedPanel:
    families: pd.DataFrame
    individuals: pd.DataFrame
    risk: PanelRisk


def protect_panel(
    families: pd.DataFrame, individuals: pd.DataFrame, *, k: int, max_suppression: float, area: str = ""
) -> ProtectedPanel:
    """Both tables k-anonymous across periods (entities) and so in every period (rows); the risk report."""
    from tfnis.panel.risk import PanelRisk, TableOutcome

    fam_rules, ind_rules = family_rules(), individual_rules(area)
    families, individuals = in_content_order(families, individuals)
    fam = consistent(families, FAMILY, FAMILY_INVARIANT)
    fam, fam_cut = settle_trajectories(fam, FAMILY, k)
    fam_out, fam_stats = _protect_table(fam, fam_rules, k, max_suppression, family_levels(fam), fam_cut)
    kept = fam_out[[FAMILY, "period_end", "la_code"]]
    ind = individuals.merge(kept, on=[FAMILY, "period_end", "la_code"], how="inner")
    ind = consistent(ind, PERSON, INVARIANT)
    ind, ind_cut = settle_trajectories(ind, PERSON, k)
    ind_out, ind_stats = _protect_table(ind, ind_rules, k, max_suppression, individual_levels(ind), ind_cut)
    risk = PanelRisk.of(
        k=k, max_suppression=max_suppression,
        families=TableOutcome(fam_rules, families, fam_out, **fam_stats),
        individuals=TableOutcome(ind_rules, individuals, ind_out, **ind_stats),
    )  # fmt: skip
    return ProtectedPanel(fam_out, ind_out, risk)


def _protect_table(
    frame: pd.DataFrame,
    rules: Rules,
    k: int,
    max_suppression: float,
    levels: list[Callable[[], pd.DataFrame]],
    cut: dict[str, int],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table at the finest level whose suppression (with the entities left out) fits the limit."""
    tried: list[tuple[int, float]] = []
    for level, generalised in enumerate(levels):
        out, blanked = suppress_entities(generalised(), rules, k)
        entities = max(out[rules.entity].nunique() + cut["entities_left_out"], 1)
        cells = int(blanked.to_numpy().sum()) + cut["entities_left_out"] * len(rules.quasi_identifiers)
        share = cells / (entities * len(rules.quasi_identifiers))
        tried.append((level, share))
        if share <= max_suppression:
            return out, {"level": level, "levels_tried": tuple(tried), "blanked": blanked, **cut}
    needed = ", ".join(f"level {lv}: {s:.1%}" for lv, s in tried)
    raise DisclosureRefused(
        f"panel {rules.table}: k={k} across periods needs more than {max_suppression:.0%} of quasi-identifier "
        f"cells suppressed at every generalisation level ({needed})"
    )


def family_levels(frame: pd.DataFrame) -> list[Callable[[], pd.DataFrame]]:
    """The families at each level, built when tried."""
    from functools import partial

    return [partial(_family_level, frame, step, size) for step, size in FAMILY_LEVELS]


def _family_level(frame: pd.DataFrame, step: int, size: int) -> pd.DataFrame:
    return rebanded(months_in_steps(frame, step), "family_size", FAMILY_SIZE_BANDS, size)


def individual_levels(frame: pd.DataFrame) -> list[Callable[[], pd.DataFrame]]:
    """The individuals at each level: age bands and ethnic groups coarsened from level 1 up."""
    from functools import partial

    return [partial(_individual_level, frame, level) for level in INDIVIDUAL_LEVELS]


def _individual_level(frame: pd.DataFrame, level: int) -> pd.DataFrame:
    return coarser_ethnic_groups(rebanded(frame, "age_band", AGE_BANDS, level), level)


def rebanded(frame: pd.DataFrame, column: str, ladder: tuple[tuple[int, ...], ...], level: int) -> pd.DataFrame:
    """`column`'s band codes re-banded at `level` of the ladder from their lower bounds (the coarser levels'
    bounds are among the finer ones', so a staged band falls in exactly one coarser band)."""
    if level == 0:
        return frame
    from tfnis.anonymise.minimise import bands
    from tfnis.panel.derive import as_type

    out = frame.copy()
    lower = out[column].astype("string").str.extract(r"^([0-9]+)")[0].astype("Int64")
    codes = next(c.codes for c in panel_columns_of(frame) if c.name == column)
    out[column] = as_type(bands(lower, ladder[level]), PanelType.CATEGORY, codes)
    return out


def coarser_ethnic_groups(frame: pd.DataFrame, level: int) -> pd.DataFrame:
    if level < 2:
        return frame
    from tfnis.anonymise.minimise import COARSEST_ETHNIC_GROUP
    from tfnis.panel.derive import as_type

    out = frame.copy()
    coarse = out["ethnic_group"].astype("string").map(COARSEST_ETHNIC_GROUP, na_action="ignore")
    out["ethnic_group"] = as_type(coarse.fillna(out["ethnic_group"].astype("string")), PanelType.CATEGORY,
                                  tuple(out["ethnic_group"].cat.categories))  # fmt: skip
    return out


def panel_columns_of(frame: pd.DataFrame) -> tuple[PanelColumn, ...]:
    return panel_columns("families" if PERSON not in frame.columns else "individuals")


def trajectories(frame: pd.DataFrame, entity: str) -> pd.Series:
    """Each entity's trajectory as a class code: the sequence of (period, council) over its rows (the rows must
    be in period order). Codes are comparable within one call only."""
    return sequences(frame, entity, [frame["period_end"], frame["la_code"]])


def sequences(frame: pd.DataFrame, entity: str, columns: list[pd.Series]) -> pd.Series:
    """Per entity, one code for the sequence over its rows of the values of `columns` (<NA> a value of its own).
    Vectorised: each row's value coded, spread to one column per place in the entity's sequence (-1 past its
    end), and the places folded into one code as tfnis.disclosure.measures.class_codes does."""
    import numpy as np
    import pandas as pd

    from tfnis.disclosure.measures import class_codes

    names = [str(n) for n in range(len(columns))]
    codes = class_codes(pd.DataFrame(dict(zip(names, (c.to_numpy() for c in columns), strict=True))), names).to_numpy()
    key, place = frame[entity].to_numpy(), frame.groupby(frame[entity].to_numpy(), sort=False).cumcount().to_numpy()
    entities, position = pd.factorize(key)
    wide = np.full((len(position), int(place.max()) + 1 if len(place) else 1), -1, dtype=np.int64)
    wide[entities, place] = codes
    places = [f"p{n}" for n in range(wide.shape[1])]
    folded = class_codes(pd.DataFrame(wide, columns=places), places)
    return pd.Series(folded.to_numpy(), index=pd.Index(position, name=entity))


def patterns(frame: pd.DataFrame, entity: str, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """One row per entity: its trajectory and, per column, a code for the sequence of its values."""
    import pandas as pd

    out = {"trajectory": trajectories(frame, entity)}
    for column in columns:
        out[column] = sequences(frame, entity, [frame[column]])
    return pd.DataFrame(out)


def panel_sizes(frame: pd.DataFrame, entity: str, columns: tuple[str, ...] | list[str]) -> pd.Series:
    """Each entity's class size across periods: trajectory and the sequences of the columns."""
    table = patterns(frame, entity, columns)
    return class_sizes(table, ["trajectory", *columns])


def settle_trajectories(frame: pd.DataFrame, entity: str, k: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rare trajectories cut to the first stint, then left out (with counts of what that cost)."""
    rare = _trajectory_sizes(frame, entity) < k
    cut = 0
    if rare.any():
        key = frame[entity].to_numpy()
        previous = frame["la_code"].groupby(key).shift()
        moved = (previous.notna() & frame["la_code"].ne(previous)).astype(int)
        drop = (rare & (moved.groupby(key).cumsum() > 0)).to_numpy()
        cut = int(frame.loc[drop, entity].nunique())
        frame = frame[~drop]
        rare = _trajectory_sizes(frame, entity) < k
    left_out = int(frame.loc[rare, entity].nunique())
    return frame[~rare].reset_index(drop=True), {"entities_cut": cut, "entities_left_out": left_out}


def _trajectory_sizes(frame: pd.DataFrame, entity: str) -> pd.Series:
    """Per row: how many entities share its entity's trajectory."""
    per_entity = trajectories(frame, entity)
    sizes = per_entity.map(per_entity.value_counts())
    return frame[entity].map(sizes).set_axis(frame.index)


def entity_signatures(frame: pd.DataFrame, entity: str, context: pd.Series | None = None) -> pd.Series:
    """Per entity (index), a 64-bit digest of what its rows hold in period order: every column but the keys,
    which are drawn at random per run, and each row's `context` (a digest by family_key)."""
    import pandas as pd

    frame = frame.sort_values([entity, "period_end", "la_code"], kind="stable")
    content = frame.drop(columns=[c for c in (FAMILY, PERSON) if c in frame.columns])
    key = frame[entity].to_numpy()
    content["_place"] = frame.groupby(key, sort=False).cumcount().to_numpy()
    if context is not None:
        content["_context"] = frame[FAMILY].map(context).to_numpy()
    return _digest_by(key, pd.util.hash_pandas_object(content, index=False).to_numpy())


def _digest_by(key: object, hashes: object) -> pd.Series:
    """Per distinct key, the hashes of its rows added modulo 2**64 (a digest of a multiset, not a sum)."""
    import numpy as np
    import pandas as pd

    codes, keys = pd.factorize(np.asarray(key))
    total = np.zeros(len(keys), dtype=np.uint64)
    np.add.at(total, codes, np.asarray(hashes, dtype=np.uint64))
    return pd.Series(total, index=keys)


def in_content_order(families: pd.DataFrame, individuals: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables grouped by entity, entities ordered by what they hold, periods in order within each.

    Why: local suppression breaks ties between records of one class by row order (which donors are blanked),
    and a blanked cell changes what researchers see (a person blanked out of neet_eligible leaves the NEET
    comparison). Ordered by key, that choice followed the keys a run drew at random, so the same returns gave
    different extracts (the demo's neet estimate -0.103 and -0.067 in two runs of one seed). A family's digest
    covers its rows and its members' rows; a person's, its rows and its family's digest; entities left with
    the same digest hold the same values with the same relatives, so their order is immaterial."""
    import pandas as pd

    people = entity_signatures(individuals, PERSON)
    membership = individuals[[PERSON, FAMILY]].drop_duplicates()
    members = _digest_by(membership[FAMILY].to_numpy(), membership[PERSON].map(people).to_numpy())
    family = entity_signatures(families, FAMILY, context=members)
    fam = ordered_by_content(families, FAMILY, family)
    # people of tied families follow their family's place, so ties break the same way in both tables
    place = pd.Series(range(len(fam)), index=fam[FAMILY].to_numpy()).groupby(level=0).min()
    first_family = individuals[FAMILY].map(place).groupby(individuals[PERSON].to_numpy()).transform("min")
    ind = ordered_by_content(individuals, PERSON, entity_signatures(individuals, PERSON, family), first_family)
    return fam, ind


def ordered_by_content(
    frame: pd.DataFrame, entity: str, signatures: pd.Series, tiebreak: pd.Series | None = None
) -> pd.DataFrame:
    """Rows by entity signature, then `tiebreak` (per row), then entity, periods in order within each."""
    extra = {"_tiebreak": tiebreak.to_numpy()} if tiebreak is not None else {}
    ordered = frame.assign(_signature=frame[entity].map(signatures).to_numpy(), **extra).sort_values(
        ["_signature", *extra, entity, "period_end", "la_code"], kind="stable"
    )
    return ordered.drop(columns=["_signature", *extra]).reset_index(drop=True)


def consistent(frame: pd.DataFrame, entity: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Each column the same in all of an entity's rows: its first row's value, blank if blank in any row."""
    out = frame.copy()
    key = out[entity]
    firsts = out.drop_duplicates(entity).set_index(entity)
    for column in (c for c in columns if c in out.columns):
        any_blank = out[column].isna().groupby(key.to_numpy()).transform("any")
        at_first = key.map(firsts[column]).astype(out[column].dtype)
        out[column] = at_first.mask(any_blank.to_numpy())
    return out


def months_in_steps(frame: pd.DataFrame, step: int) -> pd.DataFrame:
    """Months since support start and end rounded down to multiples of `step` (the same block of start months
    gives the same value in every period, because period ends fall in March and September)."""
    out = frame.copy()
    for column in MONTH_COLUMNS:
        out[column] = ((out[column] // step) * step).astype("Int16")
    return out


def suppress_entities(frame: pd.DataFrame, rules: Rules, k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Local suppression on the entity table (trajectory fixed); a blanked sequence is blanked in every row."""
    columns = [c for c in rules.quasi_identifiers if c in frame.columns]
    table = patterns(frame, rules.entity, columns)
    suppression = suppress_locally(table, ["trajectory"], columns, k)
    blanked = suppression.suppressed
    out = frame.copy()
    for column in columns:
        hit = blanked.index[blanked[column].to_numpy()]
        rows = out[rules.entity].isin(hit)
        if rows.any():
            out.loc[rows, column] = None
    return out, blanked
