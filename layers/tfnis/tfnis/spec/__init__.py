"""The data contract of a council return (DATA_SPEC.md): code lists, column rules, identifier rules."""

SPEC_VERSION = "1.1"  # 1.1: spreadsheet row numbers (the header is row 1); plain meanings accepted (issue 12)
