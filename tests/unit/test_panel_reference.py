"""Reference outcomes released with the panel (tfnis.panel.reference, docs/disclosure.md "Reference outcomes"):
only people the panel releases in that period get a row, counts are top-coded, and the reference
quasi-identifiers are k-anonymous jointly with the person's panel class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_panel_datapackage import PERIODS, staged_offending, staged_periods
from tfnis.disclosure.measures import class_sizes
from tfnis.panel.protect import individual_rules, patterns
from tfnis.panel.reference import release_reference
from tfnis.panel.release import PanelPolicy, ReleasedPanel, release_panel

K = 3
LONER_FAMILY, LONER = f"{10**6:064x}", f"{10**7:064x}"


def with_a_loner(families: pd.DataFrame, individuals: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One more family, seen in the first period only: a trajectory no other family shares, so the panel
    leaves it (and its member) out."""
    family = families.iloc[[0]].assign(family_key=LONER_FAMILY, period_end=PERIODS[0])
    person = individuals.iloc[[0]].assign(person_key=LONER, family_key=LONER_FAMILY, period_end=PERIODS[0],
                                          la_code=family["la_code"].iloc[0])  # fmt: skip
    return pd.concat([families, family], ignore_index=True), pd.concat([individuals, person], ignore_index=True)


@pytest.fixture(scope="module")
def staged() -> pd.DataFrame:
    loner = {"person_key": LONER, "period_end": PERIODS[0].isoformat(), "proven_offences": 3,
             "custodial_sentences": 2, "most_serious_offence": "ROBBERY"}  # fmt: skip
    return pd.concat([staged_offending(), pd.DataFrame([loner])], ignore_index=True)


@pytest.fixture(scope="module")
def released(staged: pd.DataFrame) -> ReleasedPanel:
    families, individuals = with_a_loner(*staged_periods())
    return release_panel(families, individuals, PanelPolicy(k=K, max_suppression=0.5), {"offending": staged})


def test_only_people_released_in_the_panel_in_that_period_have_reference_rows(released, staged):
    rows = released.reference.persons["offending"]
    panel = released.individuals.assign(period_end=lambda f: pd.to_datetime(f["period_end"]))
    assert LONER not in set(panel["person_key"]) and LONER not in set(rows["person_key"])
    assert "f" * 64 not in set(rows["person_key"])  # matched to nobody the panel holds
    joined = rows.merge(panel, on=["person_key", "period_end"], suffixes=("", "_panel"))
    assert len(joined) == len(rows) > 0
    assert (joined["family_key"] == joined["family_key_panel"]).all()  # the person's family in that period
    risk = released.reference.risk["datasets"]["offending"]
    assert risk["left_out_not_in_panel"] == len(staged) - len(rows) >= 2


def test_counts_are_top_coded_and_a_quasi_identifier_shows_only_that_it_happened(released):
    rows = released.reference.persons["offending"]
    assert rows["proven_offences"].max() == 10  # the staged counts go up to 13
    assert set(rows["custodial_sentences"].dropna()) == {1}
    assert released.reference.risk["datasets"]["offending"]["top_coded"]["proven_offences"] > 0


def test_reference_quasi_identifiers_are_k_anonymous_jointly_with_the_panel_class(released):
    panel = released.individuals.assign(period_end=lambda f: pd.to_datetime(f["period_end"]))
    panel = panel.sort_values(["person_key", "period_end", "la_code"], kind="stable").reset_index(drop=True)
    rows = released.reference.persons["offending"][["person_key", "period_end", "custodial_sentences"]]
    frame = panel.merge(rows, on=["person_key", "period_end"], how="left")
    qis = [*individual_rules().quasi_identifiers, "custodial_sentences"]
    sizes = class_sizes(patterns(frame, "person_key", qis), ["trajectory", *qis])
    assert sizes.min() >= K
    risk = released.reference.risk["datasets"]["offending"]
    assert risk["k_joint_before"] < K <= risk["k_joint_after"] and risk["cells_suppressed"]["custodial_sentences"] > 0


def test_sensitive_outcomes_are_measured_in_the_risk_report(released):
    sensitive = released.reference.risk["datasets"]["offending"]["sensitive"]
    assert set(sensitive) == {"proven_offences", "most_serious_offence"}
    assert all(0 <= m["l1_share"] <= 1 and m["rows"] > 0 for m in sensitive.values())


def test_the_family_roll_up_sums_the_released_rows(released):
    rows, families = released.reference.persons["offending"], released.reference.families["offending"]
    assert families["persons_matched"].sum() == len(rows)
    assert families["proven_offences"].sum() == rows["proven_offences"].sum()


@pytest.fixture(scope="module")
def panel() -> ReleasedPanel:
    return release_panel(*staged_periods(), PanelPolicy(k=K, max_suppression=0.5))


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    share=st.floats(0.05, 0.9), custodial=st.floats(0.0, 1.0), excluded=st.floats(0.0, 1.0), seed=st.integers(0, 999)
)
def test_every_released_person_is_k_anonymous_jointly_whatever_the_outcomes(panel, share, custodial, excluded, seed):
    """Hypothesis: any staged offending and education outcomes (any share of people, any rate of prison terms and
    permanent exclusions) leave every released person in a class of at least K on trajectory, the panel's
    quasi-identifiers and both datasets' quasi-identifiers together."""
    rng = np.random.default_rng(seed)
    people = panel.individuals[["person_key", "period_end"]].sample(frac=share, random_state=seed)
    n = len(people)
    offending = people.assign(period_end=people["period_end"].astype(str).str[:10], proven_offences=3,
                              custodial_sentences=(rng.random(n) < custodial).astype(int),
                              most_serious_offence="THEFT")  # fmt: skip
    education = people.assign(period_end=people["period_end"].astype(str).str[:10], sessions_possible=180,
                              sessions_missed=9, fixed_term_exclusions=0,
                              permanent_exclusion=np.where(rng.random(n) < excluded, "Y", "N"))  # fmt: skip
    released = release_reference({"offending": offending, "education": education}, panel.individuals, k=K)
    ind = panel.individuals.assign(period_end=lambda f: pd.to_datetime(f["period_end"]))
    ind = ind.sort_values(["person_key", "period_end", "la_code"], kind="stable").reset_index(drop=True)
    for dataset, column in (("offending", "custodial_sentences"), ("education", "permanent_exclusion")):
        rows = released.persons[dataset][["person_key", "period_end", column]]
        ind = ind.merge(rows, on=["person_key", "period_end"], how="left")
        assert set(rows[column].dropna().astype(str)) <= {"1", "Y"}
    qis = [*individual_rules().quasi_identifiers, "custodial_sentences", "permanent_exclusion"]
    assert class_sizes(patterns(ind, "person_key", qis), ["trajectory", *qis]).min() >= K
