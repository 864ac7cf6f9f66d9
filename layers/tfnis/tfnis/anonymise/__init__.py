"""De-identification and destruction: the research extract, its pre-write check, keyed pseudonyms, and the
destruction certificate of research end (DATA_SPEC.md "De-identification", DESIGN.md invariants 3-5).

Cheap to import (no pandas at module level): Lambda handlers import the error types at cold start; the extract
itself is built by tfnis.anonymise.extract, which the pipeline imports inside the stage.
"""

from tfnis.anonymise.certificate import (
    BucketDestruction,
    DestructionCertificate,
    DestructionIncomplete,
    KeyDestruction,
)
from tfnis.anonymise.check import ExtractRefused, Violation, check_extract
from tfnis.anonymise.columns import FAMILY_EXTRACT, INDIVIDUAL_EXTRACT, extract_columns
from tfnis.anonymise.pseudonyms import PSEUDONYM_CONTEXT, derive_project_key, pseudonym, pseudonymise

__all__ = [
    "FAMILY_EXTRACT",
    "INDIVIDUAL_EXTRACT",
    "PSEUDONYM_CONTEXT",
    "BucketDestruction",
    "DestructionCertificate",
    "DestructionIncomplete",
    "ExtractRefused",
    "KeyDestruction",
    "Violation",
    "check_extract",
    "derive_project_key",
    "extract_columns",
    "pseudonym",
    "pseudonymise",
]
