"""The linkage index as Parquet files that DuckDB queries under a memory limit, so that matching a submission
reads only the index rows that could matter to it and the match stage's memory follows the submission, not
the national index.

A row can matter only if it shares something with a record of the submission: the council's person or family
id, a match key (tfnis.linkage.match_keys), or a blocking key of the model (tfnis.linkage.model). Those rows are
found by hash semi-joins that DuckDB streams over the files (spilling to disk past its memory limit), then
widened to every row of each person found (a family key follows its people), plus a seeded random sample so
the model still learns u and term frequencies from the population. Matching against that slice gives the
answers matching against the whole index would: every lookup that uses the index only ever asks about key
values the submission holds, and rows the model pairs share a blocking key.

The Lambda match function has DuckDB and no pyarrow: DuckDB reads the files itself and hands pandas plain
object columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_SEED = 14
# rows_for's column marking the rows drawn at random from the whole index (the model's population sample).
SAMPLED = "drawn_at_random"
# Rows per chunk fetched from DuckDB (vectors of 2,048): pandas copies a chunk at a time, never the whole.
_FETCH_VECTORS = 64
# Index files are sorted by date of birth then surname: similar rows sit together, so zstd packs them tightly
# and a row group's statistics cover a narrow range of dates.
ORDER_BY = ("dob", "surname")
_PARQUET = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"
# Derived key parts in SQL, as tfnis.linkage.match_keys.key_parts and the model's blocking rules form them.
_DERIVED = {
    "forename_initial": "left({t}.forename, 1)",
    "dob_year": "left({t}.dob, 4)",
    "dob_day_month": "right({t}.dob, 5)",
    "dob_unordered": (
        "left({t}.dob, 5) || least(substr({t}.dob, 6, 2), substr({t}.dob, 9, 2)) || '-'"
        " || greatest(substr({t}.dob, 6, 2), substr({t}.dob, 9, 2))"
    ),
}


def _part(table: str, name: str) -> str:
    return _DERIVED[name].format(t=table) if name in _DERIVED else f"{table}.{name}"


def _key(table: str, parts: Sequence[str]) -> str:
    """One text per row for the parts together; NULL where any part is blank (|| propagates NULL)."""
    return " || chr(31) || ".join(_part(table, p) for p in parts)


@dataclass(frozen=True)
class Lookup:
    """Index rows whose key (index parts) is among the submission's (submission parts), where both sides meet
    their condition (SQL on the table alias t, or '' for none)."""

    mine: tuple[str, ...]
    theirs: tuple[str, ...]
    mine_where: str = ""
    theirs_where: str = ""


def lookup_keys(columns: Sequence[str], *, dates_must_agree: bool = False) -> list[Lookup]:
    """Every lookup matching may make: equal keys, or a swapped-name blocking rule's cross key. With
    dates_must_agree, the model's broad blocking rules pair rows only when their dates of birth could agree
    (tfnis.linkage.model._DATES_COULD_AGREE), so their lookups carry that condition: the key with the year,
    the key with the day and month, and the key alone where either date is missing."""
    from tfnis.linkage.match_keys import MATCH_KEY_RULES
    from tfnis.linkage.model import _BLOCKING, _BROAD, _SWAPPED_BLOCKING

    present = set(columns) | set(_DERIVED)
    exact: list[tuple[str, ...]] = [("la_code", "person_id"), ("la_code", "family_id")]
    exact += [rule.parts for rule in MATCH_KEY_RULES]  # looked up whatever the dates
    found: list[Lookup] = []
    for key in dict.fromkeys([*exact, *_BLOCKING]):
        if not all(p in present for p in key):
            continue
        if dates_must_agree and key in _BROAD and key not in exact:
            found += [
                Lookup((*key, "dob_year"), (*key, "dob_year")),
                Lookup((*key, "dob_day_month"), (*key, "dob_day_month")),
                Lookup(key, key, mine_where="t.dob IS NULL"),
                Lookup(key, key, theirs_where="t.dob IS NULL"),
            ]
        else:
            found.append(Lookup(key, key))
    # Swapped forename and surname at one date of birth or one postcode (model._SWAPPED_BLOCKING): the
    # submission's forename is the index row's surname, or the other way round.
    for shared in _SWAPPED_BLOCKING:
        if shared in present:
            found += [
                Lookup((shared, "forename"), (shared, "surname")),
                Lookup((shared, "surname"), (shared, "forename")),
            ]
    return found


def _where(*conditions: str) -> str:
    return " AND ".join(c for c in conditions if c)


@dataclass(frozen=True)
class ParquetIndex:
    """The index's Parquet files on local disk; memory_limit is DuckDB's (e.g. '1200MB')."""

    paths: tuple[Path, ...]
    memory_limit: str = "1GB"
    temp_directory: Path | None = None

    def connect(self) -> Any:
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{self.memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        # One thread: each thread holds its own hash table per lookup (33 of them), which overran a 256 MB limit
        # on a test index of 2,000 rows with two threads. The lookup is a scan; one core is most of its speed.
        # Each hash table reserves some memory however few its keys: 37 lookups (with the postcode cross keys)
        # need more than 256 MB on one thread even on the tests' tiny index, so the tests give 320 MB.
        con.execute("SET threads = 1")
        con.execute("SET enable_progress_bar = false")
        if self.temp_directory is not None:
            con.execute(f"SET temp_directory = '{self.temp_directory}'")
        files = ", ".join(f"'{p}'" for p in self.paths)
        con.execute(f"CREATE VIEW idx AS SELECT * FROM read_parquet([{files}], union_by_name = true)")
        return con

    def size(self) -> int:
        with self.connect() as con:
            return int(con.execute("SELECT count(*) FROM idx").fetchall()[0][0])

    def rows_per_file(self) -> dict[Path, int]:
        """Each file's row count, from its Parquet footer (no data read)."""
        with self.connect() as con:
            files = ", ".join(f"'{p}'" for p in self.paths)
            counts = dict(con.execute(f"SELECT file_name, num_rows FROM parquet_file_metadata([{files}])").fetchall())
        return {p: int(counts[str(p)]) for p in self.paths}

    def compact(self, target: Path, *, order_by: Sequence[str] = ORDER_BY) -> Path:
        """The distinct rows of all the files as one file sorted like write_parquet's, by DuckDB under the
        memory limit (sorting spills to temp_directory past it)."""
        with self.connect() as con:
            con.execute(f"COPY (SELECT DISTINCT * FROM idx ORDER BY {_order(order_by)}) TO '{target}' {_PARQUET}")
        return target

    def rows_for(
        self, fields: pd.DataFrame, columns: Sequence[str], sample: int, *, dates_must_agree: bool = False
    ) -> pd.DataFrame:
        """Every index row sharing a lookup key with the submission's fields (lookup_keys) and `sample` rows at
        random (seeded); all rows while the index has at most `sample`. Columns: `columns`, as pandas strings,
        and SAMPLED (bool): the row was among the random draw, which the model then uses as its population
        sample (as it would draw from the whole index). Other rows of the persons found are not read here:
        only those of the persons the submission links to matter (rows_of_persons)."""
        with self.connect() as con:
            total = int(con.execute("SELECT count(*) FROM idx").fetchall()[0][0])
            select = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in columns)
            if total <= sample:
                return _fetched(con, f"SELECT {select}, true AS {SAMPLED} FROM idx")
            lookups = lookup_keys([c for c in fields.columns if c in columns], dates_must_agree=dates_must_agree)
            found = _found_by(con, fields, lookups)
            names = ", ".join(columns)
            return _fetched(
                con,
                f"SELECT {names}, bool_or(drawn) AS {SAMPLED} FROM ("
                f"SELECT {select}, false AS drawn FROM idx AS t WHERE {found}"
                f" UNION ALL SELECT {select}, true AS drawn FROM (SELECT * FROM idx USING SAMPLE"
                f" reservoir({int(sample)} ROWS) REPEATABLE ({SAMPLE_SEED}))) GROUP BY ALL",
            )

    def rows_of_persons(self, person_keys: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
        """Every row of these persons (their family keys under every council: tfnis.linkage.incremental's
        family_keys), as pandas strings."""
        import pandas as pd

        with self.connect() as con:
            con.register("linked_frame", pd.DataFrame({"person_key": pd.Series(person_keys, dtype=object)}))
            con.execute(
                "CREATE TEMP TABLE linked AS SELECT DISTINCT person_key::VARCHAR AS person_key FROM linked_frame"
            )
            select = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in columns)
            rows = _fetched(
                con, f"SELECT DISTINCT {select}, false AS {SAMPLED} FROM idx SEMI JOIN linked USING (person_key)"
            )
        return rows.drop(columns=SAMPLED)


def _found_by(con: Any, fields: pd.DataFrame, lookups: Sequence[Lookup]) -> str:
    """SQL condition on the index (alias t): some lookup finds the row. Each lookup's wanted keys are a small
    temp table of the submission's; DuckDB streams the index past them."""
    con.register("sub_frame", fields)
    con.execute("CREATE TEMP TABLE sub AS SELECT * FROM sub_frame")
    con.unregister("sub_frame")
    conditions = []
    for i, lookup in enumerate(lookups):
        mine = _key("t", lookup.mine)
        con.execute(
            f"CREATE TEMP TABLE wanted_{i} AS SELECT DISTINCT {mine} AS k FROM sub AS t"
            f" WHERE {_where(f'{mine} IS NOT NULL', lookup.mine_where)}"
        )
        theirs = f"{_key('t', lookup.theirs)} IN (SELECT k FROM wanted_{i})"
        conditions.append(f"({_where(lookup.theirs_where, theirs)})")
    return " OR ".join(conditions)


def _fetched(con: Any, query: str) -> pd.DataFrame:
    """A query's rows as pandas strings plus SAMPLED (bool), fetched a chunk at a time (DuckDB's result and a
    whole pandas copy of it are never both held; the match function has no pyarrow for Arrow batches). Equal
    strings of a column are made one Python object (_shared): a date or a surname repeats thousands of times."""
    import pandas as pd

    result = con.execute(query)
    chunks = []
    while len(chunk := result.fetch_df_chunk(_FETCH_VECTORS)):
        drawn = chunk.pop(SAMPLED).to_numpy(dtype=bool)
        chunks.append(_shared(chunk.astype("string")).assign(**{SAMPLED: drawn}))
    if not chunks:
        names = [d[0] for d in result.description]
        return pd.DataFrame({c: pd.Series(dtype="string") for c in names if c != SAMPLED}).assign(
            **{SAMPLED: pd.Series(dtype=bool)}
        )
    rows = pd.concat(chunks, ignore_index=True)
    chunks.clear()
    rows = _shared(rows)
    release_freed_memory()
    return rows


def _shared(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each string column's equal values as one object (factorise, then take the distinct
    values back): a pointer a cell instead of a 50-byte string, the rest freed."""
    import pandas as pd

    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.StringDtype):
            codes, distinct = frame[column].array.factorize()
            frame[column] = pd.Series(distinct.take(codes, allow_fill=True), index=frame.index)
    return frame


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim; Lambda's runtime is glibc): after
    DuckDB's lookup and the fetch's discarded chunks, freed memory otherwise stays in the process (measured at a
    2M index: resident memory after the lookup 1,268 MB without, 1,076 MB with). Nothing to do elsewhere. No
    library does this; ctypes is the standard way."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own symbols: glibc's, where it is glibc
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return
    trim(0)


def _order(columns: Sequence[str]) -> str:
    return ", ".join(f"{c} NULLS FIRST" for c in columns)


def write_parquet(frame: pd.DataFrame, path: Path, *, order_by: Sequence[str] = ORDER_BY) -> Path:
    """A frame as a Parquet file sorted by a blocking key (row groups then cover narrow date ranges), by
    DuckDB: the match function has no pyarrow."""
    import duckdb

    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute(f"COPY (SELECT * FROM frame ORDER BY {_order(order_by)}) TO '{path}' {_PARQUET}")
    return path
