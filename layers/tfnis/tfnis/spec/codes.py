"""Code lists of the council return (DATA_SPEC.md v1): frameworks, enums, ethnicity and its roll-ups."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    """An eligibility framework: its headline-problem codes and how many must be Y."""

    code: str
    problems: tuple[str, ...]
    minimum: int
    label: str


FRAMEWORKS: dict[str, Framework] = {
    "TF6_2015": Framework(
        "TF6_2015",
        ("CRIME_ASB", "EDUCATION", "CHILD_NEEDS_HELP", "WORKLESS_FIN", "DOMESTIC_ABUSE", "HEALTH"),
        2,
        "Troubled Families 2015-2020",
    ),
    "SF10_2022": Framework(
        "SF10_2022",
        (
            "EDUCATION",
            "EARLY_YEARS",
            "HEALTH",
            "SUBSTANCE",
            "FAMILY_REL",
            "CHILD_SAFE",
            "CRIME",
            "DOMESTIC_ABUSE",
            "HOUSING",
            "FINANCE",
        ),
        3,
        "Supporting Families 2022-",
    ),
}

# Every hp_<CODE> column that may appear, in a stable order (TF6 first, then the SF10 additions).
HEADLINE_PROBLEMS: tuple[str, ...] = tuple(dict.fromkeys(code for fw in FRAMEWORKS.values() for code in fw.problems))

HEADLINE_PROBLEM_LABELS: dict[str, str] = {
    "CRIME_ASB": "Crime / anti-social behaviour",
    "EDUCATION": "Education",
    "CHILD_NEEDS_HELP": "Child in need of help",
    "WORKLESS_FIN": "Worklessness / financial hardship",
    "DOMESTIC_ABUSE": "Domestic abuse",
    "HEALTH": "Health",
    "EARLY_YEARS": "Early years",
    "SUBSTANCE": "Substance use",
    "FAMILY_REL": "Family relationships",
    "CHILD_SAFE": "Children safe from abuse",
    "CRIME": "Crime",
    "HOUSING": "Housing",
    "FINANCE": "Financial stability",
}

INTERVENTION_STATUSES: tuple[str, ...] = ("COMPARISON", "ACTIVE", "ENDED", "WITHDRAWN")
SUPPORT_INTENSITIES: tuple[str, ...] = ("HIGH", "MEDIUM", "LOW")
HOUSING_STATUSES: tuple[str, ...] = (
    "OWNER_OCCUPIER",
    "SOCIAL_RENT_LA",
    "SOCIAL_RENT_RP",
    "PRIVATE_RENT",
    "TEMPORARY_ACCOM",
    "NO_FIXED_ABODE",
    "WITH_FRIENDS_FAMILY",
    "OTHER",
    "NOT_KNOWN",
)
HOUSING_NOT_PROVIDED: frozenset[str] = frozenset({"NOT_KNOWN"})
RELATIONS: tuple[str, ...] = ("MAIN_CARER", "PARTNER", "CHILD", "OTHER_ADULT", "OTHER_CHILD")
DOMESTIC_VIOLENCE: tuple[str, ...] = ("VICTIM", "PERPETRATOR", "BOTH", "NONE")
YES_NO: tuple[str, ...] = ("Y", "N")
# What Excel and people write for Y/N (matched after upper-casing); each use is noted once per column.
YES_NO_ALIASES: dict[str, str] = {"YES": "Y", "NO": "N", "TRUE": "Y", "FALSE": "N"}

# ISO/IEC 5218, with the letters councils commonly send.
SEX_CODES: tuple[str, ...] = ("0", "1", "2", "9")
SEX_ALIASES: dict[str, str] = {
    "M": "1", "F": "2", "U": "0",
    "MALE": "1", "MAN": "1", "BOY": "1", "FEMALE": "2", "WOMAN": "2", "GIRL": "2",
    "NOT KNOWN": "0", "UNKNOWN": "0", "NOT STATED": "0", "NOT APPLICABLE": "9",
}  # fmt: skip
SEX_LABELS: dict[str, str] = {"0": "Not known", "1": "Male", "2": "Female", "9": "Not applicable"}

# DfE school-census ethnicity main codes, with REFU/NOBT counted as "Not known / Not given".
ETHNICITY_MAIN: tuple[str, ...] = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM",
    "MWBC", "MWBA", "MWAS", "MOTH",
    "AIND", "APKN", "ABAN", "AOTH",
    "BCRB", "BAFR", "BOTH",
    "CHNE", "OOTH",
    "REFU", "NOBT",
)  # fmt: skip
ETHNICITY_NOT_KNOWN: frozenset[str] = frozenset({"REFU", "NOBT"})

# DfE extended codes and the main code each rolls up to (school census extended list).
ETHNICITY_EXTENDED: dict[str, str] = {
    **dict.fromkeys(("WENG", "WSCO", "WWEL", "WNIR", "WOWB", "WCOR"), "WBRI"),
    **dict.fromkeys(
        (
            "WALB", "WBOS", "WCRO", "WGRE", "WGRK", "WGRC", "WITA", "WKOS", "WPOR", "WSER", "WTUR",
            "WTUK", "WTUC", "WEUR", "WEEU", "WWEU", "WOTW", "WAFH", "WALH", "WCZE", "WPOL", "WLIT",
        ),
        "WOTH",
    ),
    **dict.fromkeys(("WROG", "WROR", "WROO"), "WROM"),
    **dict.fromkeys(("MABL", "MACL", "MAOE", "MBOE", "MCOE", "MWOE", "MOTM"), "MOTH"),
    **dict.fromkeys(("AKPA", "AMPK", "AOPK"), "APKN"),
    **dict.fromkeys(("AAFR", "AKAO", "ANEP", "ASNL", "ASLT", "AOTA"), "AOTH"),
    **dict.fromkeys(("BANN", "BCON", "BGHA", "BNGN", "BSLN", "BSOM", "BSUD", "BAOF"), "BAFR"),
    **dict.fromkeys(("BEUR", "BNAM", "BOTB"), "BOTH"),
    **dict.fromkeys(("CHKC", "CMAL", "CSNG", "CTWN", "COCH"), "CHNE"),
    **dict.fromkeys(
        (
            "OAFG", "OARA", "OEGY", "OFIL", "OIRN", "OIRQ", "OJPN", "OKOR", "OKRD", "OLAM", "OLEB",
            "OLIB", "OMAL", "OMRC", "OPOL", "OTHA", "OVIE", "OYEM", "OOEG",
        ),
        "OOTH",
    ),
}  # fmt: skip

# ONS 18-group ethnic classification (2011 census) for research outputs.
ONS_ETHNIC_GROUP: dict[str, str] = {
    "WBRI": "White: English, Welsh, Scottish, Northern Irish or British",
    "WIRI": "White: Irish",
    "WIRT": "White: Gypsy or Irish Traveller",
    "WROM": "White: Other White",  # Roma sit in Other White in the 18-group classification
    "WOTH": "White: Other White",
    "MWBC": "Mixed: White and Black Caribbean",
    "MWBA": "Mixed: White and Black African",
    "MWAS": "Mixed: White and Asian",
    "MOTH": "Mixed: Other Mixed",
    "AIND": "Asian: Indian",
    "APKN": "Asian: Pakistani",
    "ABAN": "Asian: Bangladeshi",
    "CHNE": "Asian: Chinese",
    "AOTH": "Asian: Other Asian",
    "BAFR": "Black: African",
    "BCRB": "Black: Caribbean",
    "BOTH": "Black: Other Black",
    "OOTH": "Other: Any other ethnic group",
    "REFU": "Not known",
    "NOBT": "Not known",
}


def ethnicity_main_code(code: str) -> str | None:
    """Roll an ethnicity code (main or extended) up to its DfE main code; None if unknown."""
    code = code.strip().upper()
    if code in ETHNICITY_MAIN:
        return code
    return ETHNICITY_EXTENDED.get(code)
