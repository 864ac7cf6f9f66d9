"""Research panels from generated returns (tfnis.generate), for the comparison's tests and bench.

released_extract: the extract the pipeline itself releases (its own validation, extract, disclosure control and
panel release), matching aside. panel_from_frames: the same columns straight from the generated returns,
keyed on each council's own family and person ids, with no disclosure control (fast, for many seeds); months
since support started come from the support start date a family carries once supported, so the periods before
it get negative months, as in the extract.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.impact.panel import Panel

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.anonymise.extract import ExtractPolicy
    from tfnis.generate import GeneratedFrames, GeneratedSet

PROJECT_KEY = b"tfnis-impact-synthetic-project-key!"  # pseudonyms of made-up people, for tests and the bench

FAMILY_COUNTS = ("evictions", "homelessness_applications", "weeks_homeless", "police_callouts")
INDIVIDUAL_COUNTS = ("asb_nfi", "asb_fi")
INDIVIDUAL_FLAGS = ("alcohol_dependent", "drug_dependent", "neet", "missing_education", "mental_health")


def panel_from_frames(frames: GeneratedFrames) -> Panel:
    """Families and individuals of every generated return as a family x period and person x period panel."""
    fam = frames.families
    families = _families(fam)
    ind = frames.individuals
    individuals = _individuals(ind, families)
    return Panel(families, individuals)


def _dates(text: pd.Series) -> pd.Series:
    import pandas as pd

    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return iso.fillna(pd.to_datetime(text, format="%d/%m/%Y", errors="coerce"))


def _months(start: pd.Series, end: pd.Series) -> pd.Series:
    return ((end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)).astype("Int16")


def _families(fam: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame({"family_key": (fam["la_code"] + ":" + fam["family_id"]).astype(str)})
    out["la_code"] = fam["la_code"].astype(str)
    period_end = _dates(fam["period_end"])
    out["period_end"] = period_end.dt.strftime("%Y-%m-%d")
    start = _dates(fam["support_start_date"].replace("", None))
    first_start = start.groupby(out["family_key"]).transform("min")
    out["ever_supported"] = first_start.notna()
    out["months_since_support_start"] = _months(first_start, period_end)
    out["intervention_group"] = pd.Categorical(
        fam["intervention_status"].eq("COMPARISON").map({True: "COMPARISON", False: "SUPPORTED"}),
        categories=["COMPARISON", "SUPPORTED"],
    )
    out["council_sequence"] = pd.Series(1, index=out.index, dtype="Int8")
    out["moved_council"] = False
    for column in FAMILY_COUNTS:
        out[column] = pd.to_numeric(fam[column].replace("", None)).astype("Int64")
    out["rent_arrears"] = fam["rent_arrears"].map({"Y": True, "N": False}).astype("boolean")
    return out


def _individuals(ind: pd.DataFrame, families: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame({"person_key": (ind["la_code"] + ":" + ind["person_id"]).astype(str)})
    out["family_key"] = (ind["la_code"] + ":" + ind["family_id"]).astype(str)
    out["la_code"] = ind["la_code"].astype(str)
    period_end = _dates(ind["period_end"])
    out["period_end"] = period_end.dt.strftime("%Y-%m-%d")
    born = _dates(ind["date_of_birth"])
    age = (period_end - born).dt.days // 365.25
    out["relation_in_family"] = ind["relation_in_family"].astype("category")
    out["missing_education_eligible"] = age.between(5, 16)
    out["neet_eligible"] = age.between(16, 24)
    for column in INDIVIDUAL_COUNTS:
        out[column] = pd.to_numeric(ind[column].replace("", None)).astype("Int64")
    out["domestic_violence"] = ind["domestic_violence"].replace("", None).astype("category")
    for column in INDIVIDUAL_FLAGS:
        out[column] = ind[column].map({"Y": True, "N": False}).astype("boolean")
    return out


def released_extract(
    out: Path, *, councils: int, families: int, periods: int, seed: int, effects: Mapping[str, float] | None = None,
    last_period: date | None = None, k: int = 5, max_suppression: float = 0.10, panel_max_suppression: float = 0.25,
    reference: tuple[str, ...] = (),
) -> tuple[Path, list[dict[str, object]]]:  # fmt: skip
    """The research extract the pipeline would release for generated returns, written under out/extract, and
    the planted effects. Every step is the service's own code (validate, split, build_extract with its
    per-period disclosure control, release_panel with disclosure control across periods, the part files)
    except matching: family_key and person_key are digests of the generator's true family and person (what
    a perfect linkage gives), so the run needs no stack. Returns refused by disclosure control are left out.
    k, max_suppression and panel_max_suppression: the template's DisclosureK, MaxSuppressionShare and
    PanelMaxSuppressionShare, at their defaults. reference: national datasets whose extracts (every period, with
    any planted effect on their outcomes) are staged for the people they truly hold and released with the panel
    (tfnis.panel.reference): matching replaced by the truth there too."""
    import tempfile

    from tfnis.generate import generate_returns
    from tfnis.panel.release import PanelPolicy, release_panel

    with tempfile.TemporaryDirectory(prefix="tfnis-impact-") as tmp:
        made = generate_returns(
            Path(tmp), councils=councils, families=families, periods=periods, seed=seed, effects=effects,
            last_period=last_period,
        )  # fmt: skip
        staged_families, staged_individuals = staged_returns(made, k, max_suppression)
        planted = json.loads(made.effects.read_text(encoding="utf-8"))["effects"] if made.effects else []
    staged_reference, realised = reference_outcomes(
        reference, councils=councils, families=families, periods=periods, seed=seed, effects=effects or {},
        last_period=last_period,
    )  # fmt: skip
    mine = {str(e["measure"]) for e in realised}
    planted = [e for e in planted if e["measure"] not in mine] + realised
    policy = PanelPolicy(k=k, max_suppression=panel_max_suppression)
    released = release_panel(staged_families, staged_individuals, policy, staged_reference or None)
    for key, body in released.parts().items():
        path = Path(out) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    if released.reference is not None:  # as the release writes it (tfnis.pipeline.release.REFERENCE_RISK_KEY)
        (Path(out) / "extract" / "risk").mkdir(parents=True, exist_ok=True)
        (Path(out) / "extract" / "risk" / "reference.json").write_text(json.dumps(released.reference.risk, indent=2))
    return Path(out) / "extract", planted


def staged_returns(made: GeneratedSet, k: int, max_suppression: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each return validated, split and extracted as the anonymise stage stages it."""
    from tfnis.anonymise.extract import ExtractPolicy

    families, individuals, _ = stage_with_true_keys(made, ExtractPolicy(k=k, max_suppression=max_suppression))
    return families, individuals


def stage_with_true_keys(made: GeneratedSet, policy: ExtractPolicy) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The staging tables of every return, keyed as a perfect linkage would key them (from the generator's truth),
    and how many returns per-period disclosure control refused."""
    import pandas as pd

    from tfnis.anonymise.extract import build_extract
    from tfnis.disclosure import DisclosureRefused
    from tfnis.validation import validate_return
    from tfnis.validation.split import split_return

    truth = pd.read_csv(made.truth, dtype=str)
    person = dict(zip(truth["la_code"] + truth["person_id"], truth["true_person"], strict=True))
    family = dict(zip(truth["la_code"] + truth["family_id"], truth["true_family"], strict=True))
    fams, inds, refused = [], [], 0
    for r in made.returns:
        report = validate_return([r.families, r.individuals])
        split = split_return(report.families, report.individuals)
        ids = split.identifiers
        la = ids["la_code"].astype(str)
        key_map = pd.DataFrame(
            {
                "record_token": ids["record_token"].astype(str),
                "family_token": ids["family_token"].astype(str),
                "person_key": (la + ids["person_id"].astype(str)).map(person).map(_truth_digest),
                "family_key": (la + ids["family_id"].astype(str)).map(family).map(_truth_digest),
            }
        )
        try:
            extract = build_extract(split.family_attributes, split.individual_attributes, key_map, PROJECT_KEY, policy)
        except DisclosureRefused:
            refused += 1
            continue
        tables = extract.staging_tables()
        fams.append(tables["families"])
        inds.append(tables["individuals"])
    return pd.concat(fams, ignore_index=True), pd.concat(inds, ignore_index=True), refused


def reference_outcomes(
    datasets: tuple[str, ...], *, councils: int, families: int, periods: int, seed: int,
    effects: Mapping[str, float], last_period: date | None,
) -> tuple[dict[str, pd.DataFrame], list[dict[str, object]]]:  # fmt: skip
    """Each dataset's outcomes as the reference stage stages them (person_key, period_end, typed outcomes), for
    the study people its generated extracts truly hold; and the realised effects planted on them."""
    import numpy as np
    import pandas as pd

    from tfnis.anonymise.pseudonyms import pseudonymise
    from tfnis.generate import generate_frames
    from tfnis.generate.effects import REFERENCE_MEASURES, Planting
    from tfnis.generate.national import reference_extract, study_people, treated_people
    from tfnis.reference import contract

    if not datasets:
        return {}, []
    frames = generate_frames(councils=councils, families=families, periods=periods, seed=seed,
                             effects=effects, last_period=last_period)  # fmt: skip
    study, treated = study_people(frames), treated_people(frames)
    planting = Planting({m: d for m, d in effects.items() if m in REFERENCE_MEASURES})
    rng = np.random.default_rng(np.random.SeedSequence([seed, 15]))
    staged = {}
    for spec in datasets:
        parts = []
        for when in frames.period_ends:
            extract, truth = reference_extract(study, spec, when, rng, treated=treated[when], planting=planting)
            held = truth["true_person"].notna().to_numpy()
            people = truth.loc[held, "true_person"].astype(int).astype(str).map(_truth_digest)
            part = pd.DataFrame({"person_key": pseudonymise(people, PROJECT_KEY, "person").to_numpy(),
                                 "period_end": when.isoformat()})  # fmt: skip
            for outcome in contract(spec).outcomes:
                values = extract.loc[held, outcome.name].replace("", None).reset_index(drop=True)
                part[outcome.name] = (pd.to_numeric(values).astype("Int64") if outcome.type == "integer"
                                      else values.astype("string"))  # fmt: skip
            parts.append(part)
        staged[spec] = pd.concat(parts, ignore_index=True)
    return staged, planting.manifest()


def _truth_digest(value: object) -> str:
    """The person_key a perfect linkage gives a true person (as staged_returns' key map)."""
    import hashlib

    return hashlib.sha256(f"impact:{value}".encode()).hexdigest()[:32]
