"""The contract of a national reference dataset, read from its declarative file in contracts/ (TOML: stdlib,
no parser to ship in the layer). One file per dataset; adding a dataset is adding a file."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CONTRACTS_DIR = Path(__file__).with_name("contracts")
# The identifier columns a reference dataset may carry (a subset of the council return's identifiers).
# middle_names: beyond issue 15's list on purpose, the PNC holds a person's second and third forenames, and
# without them a no-postcode record of a common name cannot be told from a stranger's (docs/reference.md).
IDENTIFIER_COLUMNS = ("forename", "middle_names", "surname", "date_of_birth", "sex", "postcode", "nino", "upn")


class Outcome(BaseModel):
    """One outcome column: an integer count in a range, or a code from a list; blank means not recorded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: Literal["integer", "code"]
    description: str
    minimum: int | None = None
    maximum: int | None = None
    not_above: str | None = None  # another outcome this one cannot exceed (missed <= possible)
    codes: tuple[str, ...] = ()
    # Disclosure control in the research extract (docs/disclosure.md "Reference outcomes"): a quasi-identifier is
    # what someone who knows the person may know (a prison term, a permanent exclusion), checked for k jointly
    # with the person's panel class; a sensitive outcome is what they would learn (measured, not suppressed).
    disclosure: Literal["quasi_identifier", "sensitive"] = "sensitive"
    top_code: int | None = None  # an integer above it is shown as top_code ("top_code or more")


class ReferenceContract(BaseModel):
    """What a reference extract carries: identifier columns, outcome columns and the period they describe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    source: str
    record_id: str
    identifiers: tuple[str, ...]
    required_identifiers: tuple[str, ...]
    matchable_by: tuple[tuple[str, ...], ...]  # a record is usable when it has every column of one of these
    period: str
    age_range: tuple[int, int]
    outcomes: tuple[Outcome, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ReferenceContract:
        unknown = set(self.identifiers) - set(IDENTIFIER_COLUMNS)
        if unknown:
            raise ValueError(f"{self.name}: identifiers not allowed in a reference dataset: {sorted(unknown)}")
        declared = set(self.identifiers)
        for group in (self.required_identifiers, *self.matchable_by):
            if not set(group) <= declared:
                raise ValueError(f"{self.name}: {sorted(set(group) - declared)} are not among its identifiers")
        names = {o.name for o in self.outcomes}
        for outcome in self.outcomes:
            if outcome.not_above and outcome.not_above not in names:
                raise ValueError(f"{self.name}: {outcome.name} refers to unknown outcome {outcome.not_above}")
            if outcome.top_code is not None and outcome.type != "integer":
                raise ValueError(f"{self.name}: {outcome.name} is a code; only integers are top-coded")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.record_id, *self.identifiers, *self.outcome_names)

    @property
    def outcome_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outcomes)

    @property
    def quasi_identifiers(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outcomes if o.disclosure == "quasi_identifier")


class UnknownDataset(ValueError):
    """A dataset name with no contract file."""


def dataset_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in CONTRACTS_DIR.glob("*.toml")))


@cache
def contract(name: str) -> ReferenceContract:
    """The contract of dataset `name` (its file contracts/<name>.toml)."""
    if name not in dataset_names():
        raise UnknownDataset(f"unknown reference dataset {name!r}; known: {', '.join(dataset_names())}")
    with (CONTRACTS_DIR / f"{name}.toml").open("rb") as fh:
        document = tomllib.load(fh)
    found = ReferenceContract.model_validate(document)
    if found.name != name:
        raise ValueError(f"contracts/{name}.toml declares name {found.name!r}")
    return found


def compared_outcomes() -> dict[str, str]:
    """outcome → dataset, for the outcomes `tfnis impact` compares (and `tfnis generate --effect` can plant):
    every integer, sensitive outcome. A quasi-identifier is released only as "it happened", not as a count."""
    return {
        o.name: name
        for name in dataset_names()
        for o in contract(name).outcomes
        if o.type == "integer" and o.disclosure == "sensitive"
    }
