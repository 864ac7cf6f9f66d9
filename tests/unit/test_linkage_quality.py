"""Linkage quality (tfnis.linkage.quality): rule mix and model-based error rates from match probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tfnis.linkage.quality import QUALITY_COLUMNS, linkage_quality


def test_rule_mix_and_estimated_error_rates_follow_the_match_probabilities():
    key_map = pd.DataFrame(
        {
            "match_rule": [
                "council_person_id",
                "nino_dob",
                "upn",
                "probabilistic",
                "probabilistic",
                "new_person",
                "new_person",
                "new_person",
            ],
            "match_probability": [np.nan, np.nan, np.nan, 0.95, 0.99, np.nan, np.nan, np.nan],
        }
    )
    near_miss = np.array([np.nan] * 5 + [0.8, 0.6, np.nan])  # two new persons had a near-threshold pair
    quality = linkage_quality(key_map, near_miss, threshold=0.9)
    assert list(quality) == list(QUALITY_COLUMNS)
    assert (quality["records"], quality["linked_to_earlier"], quality["new_persons"]) == (8, 5, 3)
    assert (quality["by_council_id"], quality["by_match_key"], quality["by_model"]) == (1, 2, 2)
    assert quality["match_rate"] == pytest.approx(5 / 8)
    assert quality["estimated_false_matches"] == pytest.approx(0.06)
    assert quality["false_match_rate"] == pytest.approx(0.06 / 5)
    assert quality["near_threshold_records"] == 2
    assert quality["estimated_missed_matches"] == pytest.approx(1.4)
    assert quality["missed_match_rate"] == pytest.approx(1.4 / (5 - 0.06 + 1.4), abs=1e-6)


def test_a_first_submission_has_nothing_to_link_to_and_rates_of_zero():
    key_map = pd.DataFrame({"match_rule": ["new_person"] * 3, "match_probability": [np.nan] * 3})
    quality = linkage_quality(key_map, np.full(3, np.nan), threshold=0.9)
    assert quality["match_rate"] == 0.0 and quality["false_match_rate"] == 0.0 and quality["missed_match_rate"] == 0.0
