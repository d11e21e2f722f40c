"""Identity and place terms behind the hard-negative check: a report that only *mentions* a faith, a
place of worship, a nationality or ethnicity, a hotel, a flag or a protest must not get a label for it."""

from __future__ import annotations

import re

IDENTITY_TERM_GROUPS: dict[str, tuple[str, ...]] = {
    "religion": (
        "muslim", "muslims", "islam", "islamic", "christian", "christians", "jewish", "jew", "jews", "judaism",
        "sikh", "sikhs", "hindu", "hindus", "buddhist", "buddhists", "catholic", "catholics", "jain", "jains",
        "hijab", "turban", "imam", "rabbi", "vicar", "priest",
        "eid", "ramadan", "diwali", "vaisakhi", "hanukkah", "christmas", "easter", "iftar", "prayers",
    ),
    "faith_building": (
        "mosque", "mosques", "masjid", "mosk", "church", "churches", "chapel", "synagogue", "synagogues",
        "gurdwara", "gurdwaras", "temple", "temples", "mandir", "cathedral",
    ),
    "nationality_ethnicity": (
        "polish", "romanian", "romanians", "bulgarian", "lithuanian", "ukrainian", "ukrainians", "pakistani",
        "bangladeshi", "indian", "somali", "sudanese", "eritrean", "afghan", "syrian", "iraqi", "kurdish",
        "albanian", "nigerian", "ghanaian", "chinese", "turkish", "irish", "scottish", "asian", "black",
        "white", "african", "caribbean", "roma", "gypsy", "traveller", "travellers", "arab", "eastern european",
        "foreign", "foreigners", "migrant", "migrants", "refugee", "refugees", "asylum",
        "latvian", "bulgarians", "iranian", "eritreans", "portuguese", "brazilian", "filipino", "zimbabwean",
        "italian", "spanish", "tamil", "sri lankan", "vietnamese", "jamaican", "nigerians", "somalis", "afghans",
        "syrians", "immigrant", "immigrants", "mixed race", "mixed-race", "hong kong",
    ),
    "hotel_flag_protest": (
        "hotel", "hotels", "flag", "flags", "protest", "protests", "protester", "protesters", "march",
        "demo", "demonstration", "vigil", "rally", "rumour", "rumours", "rumor",
    ),
}

#: Identity terms that counterfactual copies swap (:mod:`classifier.training.augment`), by group, as (singular
#: adjective or noun, plural noun) pairs, lowercase.
#: The plural is ``None`` where it is not a separate word ("Chinese").
SWAP_TERMS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "religion": (
        ("muslim", "muslims"), ("jewish", None), ("jew", "jews"), ("sikh", "sikhs"), ("hindu", "hindus"),
        ("christian", "christians"), ("catholic", "catholics"), ("buddhist", "buddhists"), ("jain", "jains"),
    ),
    "ethnicity": (
        ("black", None), ("asian", "asians"), ("chinese", None), ("arab", "arabs"), ("kurdish", None),
        ("pakistani", "pakistanis"), ("bangladeshi", "bangladeshis"), ("indian", "indians"),
        ("somali", "somalis"), ("caribbean", None), ("african", "africans"), ("nigerian", "nigerians"),
        ("roma", None), ("gypsy", "gypsies"), ("traveller", "travellers"), ("irish", None),
        ("jamaican", "jamaicans"), ("ghanaian", "ghanaians"), ("tamil", "tamils"), ("vietnamese", None),
    ),
    # Hostility for national origin is race hate too (docs/codebook.md), so nationalities swap with ethnicities.
    "nationality": (
        ("polish", None), ("romanian", "romanians"), ("bulgarian", "bulgarians"), ("lithuanian", "lithuanians"),
        ("ukrainian", "ukrainians"), ("afghan", "afghans"), ("syrian", "syrians"), ("iraqi", "iraqis"),
        ("iranian", "iranians"), ("eritrean", "eritreans"), ("sudanese", None), ("albanian", "albanians"),
        ("turkish", None), ("portuguese", None), ("brazilian", "brazilians"), ("filipino", "filipinos"),
        ("latvian", "latvians"), ("italian", "italians"),
    ),
    "migration_status": (
        ("refugee", "refugees"), ("migrant", "migrants"), ("immigrant", "immigrants"),
        ("asylum seeker", "asylum seekers"), ("migrant worker", "migrant workers"),
        ("international student", "international students"),
    ),
}
_PATTERNS = {
    group: re.compile(r"\b(?:" + "|".join(re.escape(term) for term in terms) + r")\b", re.IGNORECASE)
    for group, terms in IDENTITY_TERM_GROUPS.items()
}


def term_groups(text: str) -> list[str]:
    """The identity-term groups a text mentions, in :data:`IDENTITY_TERM_GROUPS` order.

    Examples
    --------
    >>> term_groups("Parking chaos outside the mosque at Friday prayers")
    ['religion', 'faith_building']
    """
    return [group for group, pattern in _PATTERNS.items() if pattern.search(text)]


def is_hard_negative(text: str, labels) -> bool:
    """True for a report with no label that mentions any identity or place term."""
    return not labels and bool(term_groups(text))
