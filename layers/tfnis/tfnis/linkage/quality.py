"""How well one submission linked, for researchers: counts and rates only, never a key or a value.

The model's error rates are estimated from its own Fellegi–Sunter match probabilities, read as calibrated:
- false matches: each record the model linked to an earlier person at probability p is a wrong link with
  probability 1 - p; their sum is the expected number of false links. Match keys and the council's own ids
  are counted as right (they need exact agreement on an identifier or on name, date of birth and postcode).
- missed matches: each record left a new person whose best pair with an indexed person scored p in
  [NEAR_THRESHOLD, threshold) should have been linked with probability p; their sum is the expected number
  of missed links. Pairs below NEAR_THRESHOLD and pairs no blocking rule brought are not counted, so this is a
  lower bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

NEAR_THRESHOLD = 0.5  # pairs scored at or above this and below the threshold are "near-threshold"
COUNCIL_ID_RULE = "council_person_id"
MODEL_RULE = "probabilistic"
NEW_PERSON_RULE = "new_person"
# Columns of extract/linkage_quality/ (docs/linkage.md "Linkage quality"), in order.
QUALITY_COLUMNS = (
    "records",
    "linked_to_earlier",
    "new_persons",
    "match_rate",
    "by_council_id",
    "by_match_key",
    "by_model",
    "match_key_share",
    "model_share",
    "threshold",
    "near_threshold_records",
    "estimated_false_matches",
    "false_match_rate",
    "estimated_missed_matches",
    "missed_match_rate",
)


def linkage_quality(key_map: pd.DataFrame, near_miss: np.ndarray, *, threshold: float) -> dict[str, float | int]:
    """The submission's match rate, rule mix and estimated false- and missed-match rates (module doc)."""
    import numpy as np

    rule = key_map["match_rule"].to_numpy(dtype=object)
    records = len(rule)
    by_council_id = int((rule == COUNCIL_ID_RULE).sum())
    by_model = int((rule == MODEL_RULE).sum())
    new_persons = int((rule == NEW_PERSON_RULE).sum())
    linked = records - new_persons
    by_match_key = linked - by_council_id - by_model
    p = key_map["match_probability"].to_numpy(dtype=float)[rule == MODEL_RULE]
    false_links = float(np.nansum(1.0 - p))
    near = near_miss[np.isfinite(near_miss)]
    missed = float(near.sum())
    true_links = linked - false_links + missed

    def share(part: float, whole: float) -> float:
        return round(part / whole, 6) if whole else 0.0

    return {
        "records": records,
        "linked_to_earlier": linked,
        "new_persons": new_persons,
        "match_rate": share(linked, records),
        "by_council_id": by_council_id,
        "by_match_key": by_match_key,
        "by_model": by_model,
        "match_key_share": share(by_match_key, linked),
        "model_share": share(by_model, linked),
        "threshold": float(threshold),
        "near_threshold_records": len(near),
        "estimated_false_matches": round(false_links, 3),
        "false_match_rate": share(false_links, linked),
        "estimated_missed_matches": round(missed, 3),
        "missed_match_rate": share(missed, true_links),
    }
