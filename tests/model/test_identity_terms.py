"""Tests for classifier.model.identity_terms: which reports only mention an identity or place term."""

from __future__ import annotations

import pytest

from classifier.model.identity_terms import IDENTITY_TERM_GROUPS, is_hard_negative, term_groups


@pytest.mark.parametrize(("text", "groups"), [
    ("Parking chaos outside the mosque at Friday prayers", ["religion", "faith_building"]),
    ("New POLISH shop opened on the high street", ["nationality_ethnicity"]),
    ("Eastern European families moved in next door", ["nationality_ethnicity"]),
    ("Flags put up on lampposts before the march", ["hotel_flag_protest"]),
    ("Bins not collected for three weeks", []),
])
def test_identity_terms_groups_in_order(text, groups):
    assert term_groups(text) == groups


@pytest.mark.parametrize("text", ["Polishing the church-hall floor took hours", "Hotelier association meeting"])
def test_identity_terms_match_whole_words_only(text):
    assert "nationality_ethnicity" not in term_groups(text)
    assert "hotel_flag_protest" not in term_groups(text)


def test_identity_terms_hard_negative_needs_no_label_and_a_term():
    assert is_hard_negative("Community iftar at the gurdwara", ())
    assert not is_hard_negative("Community iftar at the gurdwara", ("religious_hate",))
    assert not is_hard_negative("Road closed for resurfacing", ())


def test_identity_terms_are_lowercase_and_unique_within_a_group():
    for terms in IDENTITY_TERM_GROUPS.values():
        assert all(term == term.lower() for term in terms)
        assert len(set(terms)) == len(terms)
