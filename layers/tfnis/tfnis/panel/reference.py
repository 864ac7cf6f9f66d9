"""Reference outcomes released with the panel (docs/disclosure.md "Reference outcomes"): the matched outcomes of
each national dataset, staged by the reference stage under pseudonyms, joined to the released panel and
protected with it.

1. Only people released in the panel in that period: a staged row is kept when its person_key has a row in the
   released individuals of the same period_end, and takes that row's family_key and la_code. A person left out
   of the panel (a rare trajectory, a family left out) has no reference row; nothing else keys them.
2. Counts top-coded as the contract says (`top_code`: 10 proven offences means 10 or more).
3. k jointly with the panel: the contract's quasi-identifiers (a custodial sentence, a permanent exclusion: what an
   acquaintance may know) are added, as sequences over the person's periods, to the person's panel class
   (trajectory and the panel's quasi-identifiers as released, fixed) and suppressed locally until every person
   is in a class of at least K. No row and a suppressed cell are one value ("not shown"), so the panel's own
   classes (each at least K) always leave room. Sensitive outcomes are measured (l-diversity, rare values in
   extract/risk/reference.json), not suppressed, as the panel's sensitive measures are.
Domain code only: pandas, no AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tfnis.panel.columns import PERSONS_MATCHED, reference_table, table_folder

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.reference import ReferenceContract

PERSON, KEYS = "person_key", ("person_key", "period_end")
NO = "N"  # the "did not happen" code of a Y/N quasi-identifier (permanent_exclusion)


@dataclass(frozen=True)
class ReleasedReference:
    persons: dict[str, pd.DataFrame]  # dataset -> one row per person and period, typed as the registry says
    families: dict[str, pd.DataFrame]  # dataset -> per family and period: persons matched and sums
    risk: dict[str, Any]

    def parts(self) -> dict[str, bytes]:
        """Every part file by its key: extract/reference/<dataset>[_families]/period_end=…/la_code=…/part-0.parquet."""
        from tfnis.anonymise.extract import shuffled
        from tfnis.panel.parquet import part_files

        out: dict[str, bytes] = {}
        for dataset in self.persons:
            for table, frame in ((reference_table(dataset), self.persons[dataset]),
                                 (reference_table(dataset, families=True), self.families[dataset])):  # fmt: skip
                if frame.empty:
                    continue
                for name, body in part_files(shuffled(frame), table).items():
                    out[f"extract/{table_folder(table)}/{name.removeprefix(table + '/')}"] = body
        return out


def release_reference(
    staged: dict[str, pd.DataFrame], individuals: pd.DataFrame, *, k: int, area: str = ""
) -> ReleasedReference:
    """Each dataset's staged rows (person_key, period_end, outcomes) released against the released individuals."""
    from tfnis.panel.derive import typed
    from tfnis.reference import contract

    joined, risk = {}, {}
    panel = panel_keys(individuals)
    for dataset, frame in sorted(staged.items()):
        terms = contract(dataset)
        rows, top_coded = top_code(frame, terms)
        rows = rows.assign(**{c: known_fact(rows[c]) for c in terms.quasi_identifiers})
        joined[dataset] = in_panel(rows, panel)
        kept = len(joined[dataset])
        risk[dataset] = {"staged_rows": len(frame), "released_rows": kept, "left_out_not_in_panel": len(frame) - kept,
                         "top_coded": top_coded}  # fmt: skip
    joined, classes, joint = protect_jointly(joined, individuals, k=k, area=area)
    persons, families = {}, {}
    for dataset, rows in joined.items():
        terms = contract(dataset)
        persons[dataset] = typed(rows, reference_table(dataset))
        families[dataset] = typed(family_rollup(rows, terms), reference_table(dataset, families=True))
        risk[dataset] |= joint.get(dataset, {}) | sensitive_measures(rows, classes, terms, k)
        risk[dataset] |= {"persons": int(rows[PERSON].nunique()), "family_rows": len(families[dataset])}
    return ReleasedReference(persons, families, {"k": k, "datasets": risk})


def top_code(frame: pd.DataFrame, terms: ReferenceContract) -> tuple[pd.DataFrame, dict[str, int]]:
    """Counts above their contract's top_code shown as the top code; how many cells each column lost."""
    out, counted = frame.copy(), {}
    for outcome in terms.outcomes:
        if outcome.top_code is None or outcome.name not in out.columns:
            continue
        values = out[outcome.name].astype("Int64")
        above = values.gt(outcome.top_code).fillna(False)
        counted[outcome.name] = int(above.sum())
        out[outcome.name] = values.mask(above, outcome.top_code)
    return out, counted


def panel_keys(individuals: pd.DataFrame) -> pd.DataFrame:
    """person_key, period_end → family_key, la_code of the released individuals (a person in two councils in one
    period: the first row)."""
    import pandas as pd

    panel = individuals[[PERSON, "period_end", "family_key", "la_code"]].copy()
    panel["period_end"] = pd.to_datetime(panel["period_end"])
    for column in ("family_key", "la_code"):
        panel[column] = panel[column].astype("string")
    return panel.drop_duplicates(list(KEYS))


def in_panel(rows: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """The rows whose person is released in the panel in that period (panel_keys), with its family and council."""
    import pandas as pd

    staged = rows.drop(columns=[c for c in ("family_key", "la_code") if c in rows.columns]).copy()
    staged["period_end"] = pd.to_datetime(staged["period_end"])
    return staged.merge(panel, on=list(KEYS), how="inner")


def protect_jointly(
    joined: dict[str, pd.DataFrame], individuals: pd.DataFrame, *, k: int, area: str = ""
) -> tuple[dict[str, pd.DataFrame], pd.Series, dict[str, dict[str, Any]]]:
    """The reference quasi-identifiers suppressed until every released person is in a class of at least k on
    trajectory, panel quasi-identifiers (fixed) and the reference ones; each person's class code after; per
    dataset the cells suppressed and k before and after."""
    import pandas as pd

    from tfnis.disclosure.measures import class_codes, class_sizes
    from tfnis.disclosure.suppression import KAnonymityImpossible, suppress_locally
    from tfnis.panel.protect import entity_signatures, individual_rules, ordered_by_content

    ind = individuals.copy()
    ind["period_end"] = pd.to_datetime(ind["period_end"])
    ind = ordered_by_content(ind, PERSON, entity_signatures(ind, PERSON))  # periods in order, ties by content
    fixed = [c for c in individual_rules(area).quasi_identifiers if c in ind.columns]
    table, shown = person_classes(joined, ind, fixed)
    every = ["trajectory", *fixed, *shown]
    if not shown or table.empty:
        return joined, class_codes(table, every), {}
    before = class_sizes(table, every)
    try:
        blanked = suppress_locally(table, ["trajectory", *fixed], list(shown), k).suppressed
    except KAnonymityImpossible:  # the panel's own class smaller than k (k raised since it was released)
        blanked = pd.DataFrame(True, index=table.index, columns=list(shown))
    out, joint = dict(joined), dict[str, dict[str, Any]]()
    for name, (dataset, column) in shown.items():
        hit = out[dataset][PERSON].isin(blanked.index[blanked[name].to_numpy()]) & out[dataset][column].notna()
        entry = joint.setdefault(dataset, {"quasi_identifiers": [], "cells_suppressed": {}})
        entry["quasi_identifiers"].append(column)
        entry["cells_suppressed"][column] = int(hit.sum())
        out[dataset] = out[dataset].assign(**{column: out[dataset][column].mask(hit)})
    released, _ = person_classes(out, ind, fixed)  # no row and a blank cell are one value, as researchers see it
    after = class_sizes(released, every)
    for entry in joint.values():
        entry |= {"k_joint_before": int(before.min()), "k_joint_after": int(after.min())}
    return out, class_codes(released, every), joint


def person_classes(
    joined: dict[str, pd.DataFrame], ind: pd.DataFrame, fixed: list[str]
) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """One row per released person: trajectory, the panel's quasi-identifier sequences and each reference
    quasi-identifier's sequence over the person's periods (no row: blank)."""
    from tfnis.panel.protect import patterns
    from tfnis.reference import contract

    frame, shown = ind[[PERSON, "period_end", "la_code", *fixed]], {}
    for dataset, rows in joined.items():
        for column in contract(dataset).quasi_identifiers:
            name = f"{dataset}.{column}"
            values = rows[[*KEYS, column]].rename(columns={column: name})
            frame, shown[name] = frame.merge(values, on=list(KEYS), how="left"), (dataset, column)
    return patterns(frame, PERSON, [*fixed, *shown]), shown


def known_fact(values: pd.Series) -> pd.Series:
    """A reference quasi-identifier as released: shown only where it happened (a count above 0, a code other
    than N), blank otherwise. So "did not happen", "no row" and "suppressed" are one value, in the classes and
    in the file: a blank cell cannot be read as "suppressed, so it happened"."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values):
        return values.astype("Int64").where(values.astype("Int64").gt(0).fillna(False))
    text = values.astype("string")
    return text.where(text.ne(NO).fillna(False))


def sensitive_measures(rows: pd.DataFrame, classes: pd.Series, terms: ReferenceContract, k: int) -> dict[str, Any]:
    """Per sensitive outcome: the share of rows whose person's class holds one distinct recorded value in the
    period (l = 1), and the rows whose value fewer than k rows of the period share (rare values)."""
    from tfnis.disclosure.measures import l_diversity

    if rows.empty:
        return {"sensitive": {}}
    frame = rows.assign(klass=rows[PERSON].map(classes).to_numpy(), period=rows["period_end"].astype(str))
    measures = {}
    for outcome in (o for o in terms.outcomes if o.disclosure == "sensitive"):
        recorded = frame[frame[outcome.name].notna()]
        if recorded.empty:
            continue
        l_values = l_diversity(recorded, ["klass", "period"], outcome.name)
        sharing = recorded.groupby(["period", outcome.name], observed=True)[PERSON].transform("size")
        measures[outcome.name] = {"l1_share": round(float((l_values == 1).mean()), 4),
                                  "rare_value_rows": int((sharing < k).sum()), "rows": len(recorded)}  # fmt: skip
    return {"sensitive": measures}


def family_rollup(rows: pd.DataFrame, terms: ReferenceContract) -> pd.DataFrame:
    """Per family, council and period: persons matched and the sum of each count outcome over them."""
    counts = [o.name for o in terms.outcomes if o.type == "integer"]
    grouped = rows.groupby(["family_key", "la_code", "period_end"], observed=True)
    families = grouped[counts].sum(min_count=1)
    families.insert(0, PERSONS_MATCHED, grouped.size())
    return families.reset_index()
