"""The data contract of a council return (DATA_SPEC.md): code lists, column rules, identifier rules."""

SPEC_VERSION = "1.0"
