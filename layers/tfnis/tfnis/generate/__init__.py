"""Synthetic council returns: realistic households, caseloads and recording habits, with the ground truth.

Every name, date of birth and identifier is made up (names from shipped lists of common names; UPNs, NINOs,
NHS numbers and postcodes built to the format rules); no real person is described.
"""

from tfnis.generate.returns import (
    GeneratedFrames,
    GeneratedReturn,
    GeneratedSet,
    choose_period_ends,
    generate_frames,
    generate_returns,
)

__all__ = [
    "GeneratedFrames",
    "GeneratedReturn",
    "GeneratedSet",
    "choose_period_ends",
    "generate_frames",
    "generate_returns",
]
