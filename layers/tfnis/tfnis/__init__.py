"""tfnis: the data exchange for the Troubled Families National Impact Study."""
