"""Disclosure control on generated returns: time, suppression and risk before and after.

Two runs, as issue 10 asks: one return of about 100,000 people, and 10 councils x 4 periods (each return
protected as the anonymise stage does, then k measured across periods on the panel). "Before" is the extract
as it was (exact dates, birth month, postcode district, ONS 18 groups, family size uncapped); "after" is the
minimised, protected extract. bench/disclosure_pycanon.py compares the measures' speed with pycanon's on the
file --save-individuals writes. Prints figures; asserts nothing.

    .venv/bin/python bench/disclosure_bench.py [--people 100000] [--councils 10] [--families 400] [--periods 4]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import pandas as pd

from tfnis.anonymise.extract import ExtractPolicy, build_extract
from tfnis.disclosure.measures import class_sizes, household_uniqueness, l_diversity
from tfnis.generate import generate_returns
from tfnis.spec.codes import ONS_ETHNIC_GROUP
from tfnis.validation import validate_return
from tfnis.validation.split import split_return

PROJECT_KEY = bytes(range(32))
OLD_INDIVIDUAL_QIS = [
    "la_code",
    "period_end",
    "relation_in_family",
    "sex",
    "birth_month",
    "ethnic_18",
    "postcode_district",
]
OLD_FAMILY_QIS = [
    "la_code",
    "period_end",
    "framework",
    "members",
    "date_identified",
    "support_start_date",
    "support_end_date",
]
SENSITIVE = ("domestic_violence", "mental_health", "drug_dependent", "alcohol_dependent")


def attribute_returns(councils: int, families: int, periods: int, seed: int):
    """(families, individuals, key_map) of every generated return, as validate and match leave them."""
    with tempfile.TemporaryDirectory(prefix="tfnis-disclosure-bench-") as tmp:
        generated = generate_returns(Path(tmp), councils=councils, families=families, periods=periods, seed=seed)
        truth = pd.read_csv(generated.truth, dtype=str)
        true_person = dict(zip(truth["la_code"] + truth["person_id"], truth["true_person"], strict=True))
        out = []
        for r in generated.returns:
            report = validate_return([r.families, r.individuals])
            split = split_return(report.families, report.individuals)
            ids = split.identifiers
            key_map = pd.DataFrame(
                {
                    "record_token": ids["record_token"].astype(str),
                    "family_token": ids["family_token"].astype(str),
                    "person_key": (ids["la_code"].astype(str) + ids["person_id"].astype(str)).map(true_person),
                    "family_key": (ids["la_code"].astype(str) + ids["family_id"].astype(str)).map(_digest),
                }
            )
            out.append((split.family_attributes, split.individual_attributes, key_map))
        return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def old_risk(returns) -> dict[str, float]:
    """The figures of the extract as it was, on the same returns."""
    ind = pd.concat([i.merge(k[["record_token", "family_key"]], on="record_token") for _, i, k in returns])
    fam = pd.concat([f for f, _, _ in returns])
    ind["ethnic_18"] = ind["ethnicity"].astype("string").map(ONS_ETHNIC_GROUP)
    sizes = class_sizes(ind, OLD_INDIVIDUAL_QIS)
    family_sizes = class_sizes(fam, OLD_FAMILY_QIS)
    unique_households, _ = household_uniqueness(
        ind, "family_key", ["relation_in_family", "sex", "birth_month"], ["la_code", "period_end"]
    )
    figures = {
        "individuals_k": float(sizes.min()),
        "individuals_unique": float((sizes == 1).mean()),
        "individuals_below_5": float((sizes < 5).mean()),
        "families_k": float(family_sizes.min()),
        "families_unique": float((family_sizes == 1).mean()),
        "households_unique": unique_households,
    }
    for measure in SENSITIVE:
        recorded = ind[measure].notna()
        figures[f"l1_{measure}"] = float((l_diversity(ind, OLD_INDIVIDUAL_QIS, measure)[recorded] == 1).mean())
    return figures


def protect_all(returns, policy: ExtractPolicy):
    """The extracts of every return the stage would write, the seconds it took, and how many it would refuse."""
    from tfnis.disclosure import DisclosureRefused

    started, extracts, refused = time.perf_counter(), [], 0
    for families, individuals, key_map in returns:
        try:
            extracts.append(build_extract(families, individuals, key_map, PROJECT_KEY, policy))
        except DisclosureRefused:
            refused += 1
    return extracts, time.perf_counter() - started, refused


def new_risk(extracts) -> dict[str, float]:
    reports = [e.risk for e in extracts]
    figures: dict[str, float] = {}
    for position, table in enumerate(("families", "individuals")):
        risks = [r.tables[position] for r in reports]
        records = sum(t.records for t in risks)
        figures[f"{table}_k_before"] = min(t.k_before for t in risks)
        figures[f"{table}_k_after"] = min(t.k_after for t in risks)
        figures[f"{table}_unique_before"] = sum(t.k_distribution_before["1"] for t in risks) / records
        figures[f"{table}_records_suppressed"] = sum(t.records_suppressed for t in risks) / records
        cells = sum(t.cells_suppressed for t in risks)
        figures[f"{table}_cells_suppressed"] = cells / sum(
            t.cells_suppressed / t.cells_suppressed_share
            if t.cells_suppressed
            else t.records * len(t.quasi_identifiers)
            for t in risks
        )
        figures[f"{table}_max_level"] = max(t.generalisation_level for t in risks)
    individuals = pd.concat([e.individuals for e in extracts], ignore_index=True)
    qis = ["la_code", "period_end", *reports[0].tables[1].quasi_identifiers]
    for measure in SENSITIVE:
        recorded = individuals[measure].notna()
        figures[f"l1_{measure}"] = float((l_diversity(individuals, qis, measure)[recorded] == 1).mean())
    households = sum(r.households.households for r in reports)
    figures["households_unique_before"] = (
        sum(r.households.unique_share_before * r.households.households for r in reports) / households
    )
    figures["households_unique_after"] = (
        sum(r.households.unique_share_after * r.households.households for r in reports) / households
    )
    return figures


def across_periods(extracts) -> dict[str, float]:
    """k on the panel: a person's quasi-identifiers in every period, joined by person_key, per council."""
    ind = pd.concat([e.individuals for e in extracts], ignore_index=True)
    qis = ["relation_in_family", "sex", "age_band", "ethnic_group"]
    ind = ind.sort_values(["person_key", "period_end"])
    ind["_row"] = ind["period_end"].astype(str) + ":" + ind[qis].astype("string").fillna("-").agg("|".join, axis=1)
    panel = ind.groupby("person_key").agg(la_code=("la_code", "first"), trajectory=("_row", "/".join))
    sizes = class_sizes(panel, ["la_code", "trajectory"])
    return {
        "panel_people": len(panel),
        "panel_k": int(sizes.min()),
        "panel_unique": float((sizes == 1).mean()),
        "panel_below_k": float((sizes < 5).mean()),
    }


def show(title: str, figures: dict[str, float]) -> None:
    print(title)
    for name, value in figures.items():
        print(f"  {name:38s} {value:.4f}" if isinstance(value, float) and value < 1.01 else f"  {name:38s} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--councils", type=int, default=10)
    parser.add_argument("--families", type=int, default=400)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--save-individuals", help="write the large return's protected individuals here")
    args = parser.parse_args()
    policy = ExtractPolicy(k=args.k)

    one = attribute_returns(1, max(1, args.people // 4), 1, seed=11)  # the generator makes ~4 people a family
    people = sum(len(i) for _, i, _ in one)
    extracts, seconds, refused = protect_all(one, policy)
    print(f"one return: {people} people, {sum(len(f) for f, _, _ in one)} families; build_extract {seconds:.2f}s")
    if refused:
        print("  refused by disclosure control")
        return
    if args.save_individuals:
        extracts[0].individuals.to_parquet(args.save_individuals)  # for bench/disclosure_pycanon.py
    show("  before", old_risk(one))
    show("  after", new_risk(extracts))

    many = attribute_returns(args.councils, args.families, args.periods, seed=12)
    extracts, seconds, refused = protect_all(many, policy)
    people = sum(len(i) for _, i, _ in many)
    print(f"{args.councils} councils x {args.periods} periods: {len(many)} returns, {people} people; {seconds:.2f}s")
    print(f"  returns refused by disclosure control: {refused} of {len(many)}")
    if not extracts:
        return
    show("  before", old_risk(many))
    show("  after", new_risk(extracts))
    show("  across periods (after)", across_periods(extracts))


if __name__ == "__main__":
    main()
