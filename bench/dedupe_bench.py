"""1,000,000-record dedupe: tfnis's engine (match keys, then splink on what is left) beside splink alone.

Data: `tfnis.generate` when it offers a flat people table with truth, else the synthetic UK population below
(families sharing surname and postcode, twins, nicknames, typos, swapped day/month, moves, missing and
invalid identifiers). Prints time, peak RSS and pairwise / cluster F1 against truth for each engine. Each
engine runs in its own process so peak RSS is its own.

    .venv/bin/python bench/dedupe_bench.py [--records 1000000] [--engine tfnis|splink|both]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

FORENAMES_M = [
    "oliver",
    "george",
    "harry",
    "jack",
    "jacob",
    "noah",
    "charlie",
    "muhammad",
    "thomas",
    "oscar",
    "william",
    "james",
    "henry",
    "leo",
    "alfie",
    "joshua",
    "freddie",
    "archie",
    "ethan",
    "isaac",
    "alexander",
    "joseph",
    "edward",
    "samuel",
    "max",
    "daniel",
    "arthur",
    "lucas",
    "mohammed",
    "logan",
    "theo",
    "harrison",
    "benjamin",
    "mason",
    "sebastian",
    "finley",
    "adam",
    "dylan",
    "zachary",
    "riley",
    "teddy",
    "david",
    "toby",
    "jake",
    "tyler",
    "elijah",
    "louie",
    "reuben",
    "arlo",
    "hugo",
    "jaxon",
    "luca",
    "matthew",
    "harvey",
    "reggie",
    "michael",
    "harley",
    "jude",
    "albert",
    "tommy",
    "luke",
    "stanley",
    "jenson",
    "frankie",
    "jayden",
    "gabriel",
    "elliot",
    "mohammad",
    "ronnie",
    "kai",
    "nathan",
    "robert",
    "christopher",
    "kieran",
    "liam",
    "connor",
]
FORENAMES_F = [
    "olivia",
    "amelia",
    "isla",
    "ava",
    "emily",
    "isabella",
    "mia",
    "poppy",
    "ella",
    "lily",
    "sophia",
    "sophie",
    "grace",
    "evie",
    "scarlett",
    "ruby",
    "chloe",
    "isabelle",
    "daisy",
    "freya",
    "phoebe",
    "florence",
    "alice",
    "jessica",
    "sienna",
    "charlotte",
    "matilda",
    "evelyn",
    "eva",
    "millie",
    "sofia",
    "lucy",
    "elsie",
    "imogen",
    "layla",
    "rosie",
    "maya",
    "esme",
    "elizabeth",
    "lola",
    "willow",
    "ivy",
    "erin",
    "holly",
    "emilia",
    "molly",
    "ellie",
    "jasmine",
    "eliza",
    "lilly",
    "abigail",
    "georgia",
    "maisie",
    "eleanor",
    "hannah",
    "harriet",
    "amber",
    "bella",
    "thea",
    "annabelle",
    "emma",
    "amelie",
    "harper",
    "gracie",
    "rose",
    "summer",
    "martha",
    "violet",
    "penelope",
    "anna",
    "nancy",
    "zara",
    "maria",
    "darcie",
    "maryam",
    "megan",
    "darcey",
    "lottie",
    "mila",
]
SURNAMES = [
    "smith",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "robinson",
    "thompson",
    "wright",
    "walker",
    "white",
    "edwards",
    "hughes",
    "green",
    "hall",
    "lewis",
    "harris",
    "clarke",
    "patel",
    "jackson",
    "wood",
    "turner",
    "martin",
    "cooper",
    "hill",
    "ward",
    "morris",
    "moore",
    "clark",
    "lee",
    "king",
    "baker",
    "harrison",
    "morgan",
    "allen",
    "james",
    "scott",
    "phillips",
    "watson",
    "davis",
    "parker",
    "price",
    "bennett",
    "young",
    "griffiths",
    "mitchell",
    "kelly",
    "cook",
    "carter",
    "richardson",
    "bailey",
    "collins",
    "bell",
    "shaw",
    "murphy",
    "miller",
    "cox",
    "richards",
    "khan",
    "marshall",
    "anderson",
    "simpson",
    "ellis",
    "adams",
    "singh",
    "begum",
    "wilkinson",
    "foster",
    "chapman",
    "powell",
    "webb",
    "rogers",
    "gray",
    "mason",
    "ali",
    "hunt",
    "hussain",
    "campbell",
    "matthews",
    "owen",
    "palmer",
    "holmes",
    "mills",
    "barnes",
    "knight",
    "lloyd",
    "butler",
    "russell",
    "barker",
    "fisher",
    "stevens",
    "jenkins",
    "murray",
    "dixon",
    "harvey",
    "graham",
    "pearson",
    "ahmed",
    "fletcher",
    "walsh",
    "kaur",
    "gibson",
    "howard",
    "andrews",
    "stewart",
    "elliott",
    "reynolds",
    "saunders",
    "payne",
    "fox",
    "ford",
    "pearce",
    "day",
    "brooks",
    "west",
    "lawrence",
    "cole",
    "atkinson",
    "bradley",
    "spencer",
    "gill",
    "dawson",
    "ball",
    "burton",
    "obrien",
    "watts",
    "rose",
    "booth",
    "perry",
    "ryan",
    "grant",
    "wells",
    "armstrong",
    "francis",
    "rees",
    "hayes",
    "hart",
    "hudson",
    "newman",
    "barrett",
    "webster",
    "hunter",
    "gregory",
    "carr",
    "lowe",
    "page",
    "marsh",
    "riley",
    "dunn",
    "woods",
    "parsons",
    "berry",
    "stone",
    "reid",
    "holland",
    "hawkins",
    "harding",
    "porter",
    "robertson",
    "newton",
    "oliver",
    "reed",
    "kennedy",
    "williamson",
    "bird",
    "gardner",
    "shah",
    "dean",
    "lane",
    "cooke",
    "bates",
    "henderson",
    "parry",
    "burgess",
    "bishop",
    "walton",
    "burns",
    "nicholson",
    "shepherd",
    "ross",
    "cross",
    "long",
    "freeman",
    "warren",
    "nicholls",
    "hamilton",
    "byrne",
    "sutton",
    "mcdonald",
    "yates",
    "hodgson",
    "robson",
    "curtis",
    "hopkins",
    "oconnor",
    "harper",
    "coleman",
    "watkins",
    "moss",
    "mccarthy",
    "chambers",
    "odonnell",
    "griffin",
    "sharp",
    "hardy",
    "wheeler",
    "potter",
    "osborne",
    "johnston",
    "gordon",
    "doyle",
    "wallace",
    "george",
    "jordan",
    "hutchinson",
]
NICKNAMES = {"william": "bill", "thomas": "tom", "james": "jim", "robert": "bob", "alexander": "alex",
             "elizabeth": "liz", "samuel": "sam", "daniel": "dan", "matthew": "matt", "jessica": "jess",
             "joseph": "joe", "benjamin": "ben", "charlotte": "lottie", "michael": "mike", "edward": "ed"}  # fmt: skip
LETTERS = np.array(list("ABCDEFGHJKLMNOPRSTUWYZ"))
POSTCODE_AREAS = np.array(
    [
        "AB",
        "B",
        "BD",
        "BS",
        "CF",
        "E",
        "EC",
        "G",
        "L",
        "LS",
        "M",
        "N",
        "NE",
        "NG",
        "NW",
        "OX",
        "PL",
        "S",
        "SE",
        "SW",
        "W",
        "WC",
        "YO",
    ]
)
INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))


def synthetic_people(n_records: int, seed: int = 7) -> pd.DataFrame:
    """record_id, person (truth) and identifier columns; about 2.8 records per person."""
    from tfnis.spec.identifiers import UPN_ALPHABET

    rng = np.random.default_rng(seed)
    n_people = int(n_records / 2.8)
    n_families = n_people // 3
    family = rng.integers(0, n_families, n_people)
    # Surnames: the common list weighted 1/rank, half of families with a compound of two (Ashford-like)
    # so blocks are as varied as a real population's.
    common = np.array(SURNAMES, dtype=object)
    weights = 1 / np.arange(1, len(common) + 1)
    picked = common[rng.choice(len(common), n_families, p=weights / weights.sum())]
    stems = np.array([w[:4] for w in SURNAMES], dtype=object)
    tails = np.array(["ford", "ton", "ley", "wood", "well", "by", "ham", "field", "worth", "more", "den", "ridge"])
    compound = stems[rng.integers(0, len(stems), n_families)] + tails[rng.integers(0, len(tails), n_families)]
    family_surname = np.where(rng.random(n_families) < 0.5, compound, picked)
    area = POSTCODE_AREAS[rng.integers(0, len(POSTCODE_AREAS), n_families)]
    district = rng.integers(1, 30, n_families)
    sector = rng.integers(0, 10, n_families)
    unit = np.char.add(INWARD_LETTERS[rng.integers(0, 20, n_families)], INWARD_LETTERS[rng.integers(0, 20, n_families)])
    postcode_of_family = np.char.add(
        np.char.add(np.char.add(area, district.astype(str)), " "), np.char.add(sector.astype(str), unit)
    )
    sex = rng.integers(1, 3, n_people)
    male = sex == 1
    forename = np.where(
        male,
        _weighted(FORENAMES_M, n_people, rng),
        _weighted(FORENAMES_F, n_people, rng),
    )
    born = np.datetime64("1950-01-01") + rng.integers(0, 365 * 70, n_people).astype("timedelta64[D]")
    # Twins: a tenth of families' second person shares the first's date of birth.
    first_in_family = pd.Series(np.arange(n_people)).groupby(family).transform("first").to_numpy()
    twin = (rng.random(n_people) < 0.03) & (first_in_family != np.arange(n_people))
    born = np.where(twin, born[first_in_family], born)
    dob = pd.Series(born).dt.strftime("%Y-%m-%d").to_numpy()
    nino_letters = np.array(list("ABCEGHJKLMNPRSTWXYZ"))
    nino_prefix = np.char.add(nino_letters[rng.integers(0, 19, n_people)], nino_letters[rng.integers(0, 19, n_people)])
    nino_digits = np.char.zfill(rng.integers(0, 10**6, n_people).astype(str), 6)
    nino = np.char.add(np.char.add(nino_prefix, nino_digits), LETTERS[rng.integers(0, 4, n_people)])
    nino = np.where(rng.random(n_people) < 0.55, nino, "")
    # UPN: check letter, DfE LA number 801, eight digits, a final digit (permanent).
    upn_body = np.char.add(np.char.add("801", np.char.zfill(rng.integers(0, 10**8, n_people).astype(str), 8)), "1")
    check = _upn_check_letters(upn_body, UPN_ALPHABET)
    upn = np.where(rng.random(n_people) < 0.35, np.char.add(check, upn_body), "")

    per_person = rng.poisson(1.8, n_people) + 1
    person = np.repeat(np.arange(n_people), per_person)[:n_records]
    m = len(person)
    out = pd.DataFrame({"record_id": np.arange(m).astype(str), "person": person})
    f = forename[person].astype(object)
    s = family_surname[family[person]].astype(object)
    d = dob[person].astype(object)
    pc = postcode_of_family[family[person]].astype(object)
    r = rng.random((8, m))
    f = _typo(f, r[0] < 0.04, rng)
    nick = r[1] < 0.04
    f = np.where(nick, [NICKNAMES.get(x, x) for x in f], f)
    s = _typo(s, r[2] < 0.04, rng)
    swap = (r[3] < 0.01) & (np.array([x[8:] for x in d]) <= "12")
    d = np.where(swap, [f"{x[:4]}-{x[8:]}-{x[5:7]}" for x in d], d)
    d = _typo(d, r[3] > 0.985, rng, digits=True)
    moved = r[4] < 0.12
    pc = np.where(moved, postcode_of_family[rng.integers(0, n_families, m)], pc)
    pc = np.where(r[5] < 0.04, "", pc)
    out["forename"] = pd.Series(f).str.title()
    out["surname"] = pd.Series(s).str.upper()
    out["date_of_birth"] = d
    out["sex"] = sex[person].astype(str)
    out["postcode"] = pc
    out["nino"] = np.where(r[6] < 0.25, "", nino[person])
    out["upn"] = np.where(r[7] < 0.25, "", upn[person])
    return out


def _weighted(names: list[str], n: int, rng: np.random.Generator) -> np.ndarray:
    weights = 1 / np.arange(1, len(names) + 1) ** 0.7
    return np.array(names)[rng.choice(len(names), n, p=weights / weights.sum())]


def _upn_check_letters(bodies: np.ndarray, alphabet: str) -> np.ndarray:
    codes = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 12).astype(np.int64) - 48
    total = (codes * np.arange(2, 14)).sum(axis=1)
    return np.array(list(alphabet))[total % 23]


def _typo(values: np.ndarray, where: np.ndarray, rng: np.random.Generator, digits: bool = False) -> np.ndarray:
    """One character substituted, deleted or transposed in the chosen values."""
    out = values.copy()
    pool = "0123456789" if digits else "abcdefghijklmnopqrstuvwxyz"
    for i in np.flatnonzero(where):
        text = out[i]
        if not text or len(text) < 3:
            continue
        j = int(rng.integers(1, len(text) - 1))
        if digits and text[j] == "-":
            j -= 1
        kind = rng.integers(0, 3)
        if kind == 0:
            text = text[:j] + pool[rng.integers(0, len(pool))] + text[j + 1 :]
        elif kind == 1 and not digits:
            text = text[:j] + text[j + 1 :]
        else:
            text = (
                text[: j - 1] + text[j] + text[j - 1] + text[j + 1 :] if text[j] != "-" and text[j - 1] != "-" else text
            )
        out[i] = text
    return out


def people(n_records: int) -> tuple[pd.DataFrame, str]:
    """The benchmark's records and where they came from."""
    try:
        from tfnis.generate import people_table  # type: ignore[attr-defined]

        return people_table(n_records), "tfnis.generate"
    except (ImportError, AttributeError):
        return synthetic_people(n_records), "bench fallback generator"


def pairwise_and_cluster_f1(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Pairwise precision/recall/F1 over all within-cluster pairs, and exact-cluster F1."""
    truth_codes = pd.factorize(truth)[0]
    pred_codes = pd.factorize(predicted)[0]
    both = pd.DataFrame({"t": truth_codes, "p": pred_codes})

    def pairs(counts: pd.Series) -> float:
        c = counts.to_numpy(dtype=np.float64)
        return float((c * (c - 1) / 2).sum())

    tp = pairs(both.groupby(["t", "p"]).size())
    true_pairs, pred_pairs = pairs(both.groupby("t").size()), pairs(both.groupby("p").size())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # Exact clusters: a predicted cluster is right when it holds exactly one true person's records.
    signature_t = both.groupby("t")["p"].agg(["min", "max", "size"])
    signature_p = both.groupby("p")["t"].agg(["min", "max", "size"])
    exact_t = (signature_t["min"] == signature_t["max"]) & (
        signature_t["size"].to_numpy() == both.groupby("p").size().reindex(signature_t["min"]).to_numpy()
    )
    exact = float(exact_t.sum())
    cluster_precision, cluster_recall = exact / len(signature_p), exact / len(signature_t)
    cluster_f1 = 2 * cluster_precision * cluster_recall / (cluster_precision + cluster_recall)
    return {"precision": precision, "recall": recall, "f1": f1, "cluster_f1": cluster_f1}


def run_tfnis(records: pd.DataFrame, threshold: float) -> np.ndarray:
    from tfnis.linkage import link_records

    return link_records(records.drop(columns=["person"]), threshold=threshold)["person_key"].to_numpy()


def run_splink(records: pd.DataFrame, threshold: float) -> np.ndarray:
    """Splink alone, configured the usual way for UK person data (its documented comparisons)."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = records.drop(columns=["person"]).replace("", None)
    db = DuckDBAPI()
    table = db.register(frame, dataset_display_name="records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("forename").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("nino"),
            cl.ExactMatch("upn"),
        ],
        # The same candidate pairs as the tfnis engine's model, without its match keys in front.
        blocking_rules_to_generate_predictions=[
            block_on("nino"),
            block_on("upn"),
            block_on("forename", "surname"),
            block_on("date_of_birth", "surname"),
            block_on("date_of_birth", "forename"),
            block_on("date_of_birth", "postcode"),
            block_on("postcode", "forename"),
        ],
    )
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"), max_pairs=5e5)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nino"), max_pairs=5e5)
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    found = clusters.as_pandas_dataframe()[["record_id", "cluster_id"]]
    return frame[["record_id"]].merge(found, on="record_id", how="left")["cluster_id"].astype(str).to_numpy()


def _child(engine: str, data: Path, threshold: float) -> None:
    records = pd.read_parquet(data)
    start = time.perf_counter()
    predicted = (run_tfnis if engine == "tfnis" else run_splink)(records, threshold)
    seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    scores = pairwise_and_cluster_f1(records["person"].to_numpy(), predicted)
    print(json.dumps({"engine": engine, "seconds": seconds, "peak_rss_gib": peak_gib, **scores}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["tfnis", "splink", "both"], default="both")
    parser.add_argument("--threshold", type=float, default=None, help="default: the shipped threshold")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from tfnis.linkage import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if args.child:
        _child(args.child, args.data, threshold)
        return
    records, source = people(args.records)
    engines = ["tfnis", "splink"] if args.engine == "both" else [args.engine]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.parquet"
        records.to_parquet(data)
        for engine in engines:
            done = subprocess.run(
                [sys.executable, __file__, "--child", engine, "--data", str(data), "--threshold", str(threshold)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{len(records):,} records, {records['person'].nunique():,} true persons ({source}), threshold {threshold}")
    print(
        f"{'engine':8} {'time s':>8} {'peak RSS GiB':>13} {'precision':>10} {'recall':>8} "
        f"{'pair F1':>8} {'cluster F1':>11}"
    )
    for row in rows:
        print(
            f"{row['engine']:8} {row['seconds']:8.1f} {row['peak_rss_gib']:13.2f} {row['precision']:10.4f} "
            f"{row['recall']:8.4f} {row['f1']:8.4f} {row['cluster_f1']:11.4f}"
        )


if __name__ == "__main__":
    main()
