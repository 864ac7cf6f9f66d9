"""National reference datasets (education, offending, benefits and employment): their contracts, the
validation of an extract, and precision-first matching of its records to the people of the study.
Reference records never enter the linkage index. Heavy libraries are imported inside the calls.
See docs/reference.md."""

from tfnis.reference.contract import (
    IDENTIFIER_COLUMNS,
    Outcome,
    ReferenceContract,
    UnknownDataset,
    contract,
    dataset_names,
)

__all__ = ["IDENTIFIER_COLUMNS", "Outcome", "ReferenceContract", "UnknownDataset", "contract", "dataset_names"]
