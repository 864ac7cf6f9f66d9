"""Small-area geography for the research extract: postcode → LSOA from a configured lookup file.

Here, beside the postcode rules, so validation (which looks LSOAs up) and anonymise (which publishes them) both
import it from below them, not one from the other.

The lookup must run where the full postcode is (validation's split), because anonymise never reads one; the
split then carries an `lsoa` column in the individual attributes and the extract uses it in place of the
postcode district. The file is an ONS postcode lookup (e.g. the National Statistics Postcode Lookup, NSPL):
a CSV with a postcode column (`pcds`, "SW1A 1AA") and an LSOA column (`lsoa21cd`, or `lsoa11` for 2011 areas).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

from tfnis.spec.identifiers import normalise_postcodes

if TYPE_CHECKING:  # pandas is imported where it is used: Lambda handlers import tfnis.spec at cold start
    import pandas as pd


def read_lsoa_lookup(
    source: Path | str | IO[bytes], postcode_column: str = "pcds", lsoa_column: str = "lsoa21cd"
) -> pd.Series:
    """The lookup as a Series: normalised postcode → LSOA code (terminated postcodes keep their last LSOA)."""
    import pandas as pd

    table = pd.read_csv(source, usecols=[postcode_column, lsoa_column], dtype="string")
    postcodes = normalise_postcodes(table[postcode_column])
    lookup = pd.Series(table[lsoa_column].str.strip().to_numpy(), index=postcodes.to_numpy(), name="lsoa")
    lookup = lookup[lookup.index.notna() & lookup.notna()]
    return lookup[~lookup.index.duplicated(keep="last")].astype("string")


def lsoa_codes(postcodes: pd.Series, lookup: pd.Series) -> pd.Series:
    """The LSOA of each postcode, <NA> when blank, invalid or not in the lookup."""
    import pandas as pd

    normalised = normalise_postcodes(postcodes)
    return pd.Series(normalised.map(lookup).to_numpy(), index=postcodes.index, dtype="string", name="lsoa")
