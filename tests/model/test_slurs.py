"""Slur normalisation (classifier.model.slurs): every spelling of a slur becomes its family's placeholder.

No slur is written out in this file: test words are decoded from the packaged lexicon at test time, and
assertion messages name entries by their number, never by the word. Masked forms ("p*ki") are written as
the corpus writes them.
"""

from __future__ import annotations

import base64
import csv
import functools
import pickle
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.errors import ConfigError
from classifier.model.preprocess import SpacyPreprocessor
from classifier.model.slurs import (
    MIGRANT_TOKEN,
    OTHER,
    PACKAGED_LEXICON,
    RACE_TOKEN,
    RELIGION_TOKEN,
    LexiconEntry,
    SlurLexicon,
    _forms_of,
    encode_entries,
    find_slurs,
    load_lexicon,
    main,
    packaged_lexicon,
    parse_lexicon,
    replace_slurs,
)
from tests.helpers import BACKLOG, CORPUS, assert_linear

LEXICON = packaged_lexicon()
MAPPED = [entry for entry in LEXICON.entries if entry.family != OTHER]
ONE_WORD = [entry for entry in MAPPED if " " not in entry.word]
PLAIN = [entry for entry in ONE_WORD if not entry.disguised_only]
RACE_WORD = next(entry.word for entry in PLAIN if entry.family == "race")
TWO_WORDS = [entry for entry in MAPPED if " " in entry.word and not entry.disguised_only]
DISGUISED = [entry for entry in ONE_WORD if entry.disguised_only]
ALL_FORMS = [(form.form, form.family) for entry in LEXICON.entries for form in _forms_of(entry)]
LEET = {"a": "4", "i": "1", "e": "3", "o": "0", "s": "5", "t": "7"}
#: A letter in no lexicon word: glued to a word or a mask, it makes a longer word that fits nothing.
OUTSIDER = next(c for c in "xqvjz" if all(c not in form for form, _ in ALL_FORMS))


def families(text: str, lexicon: SlurLexicon = LEXICON) -> list[str]:
    return [match.family for match in lexicon.find(text)]


def covers_whole(text: str) -> str | None:
    """The family of the one match that covers all of `text`, else None."""
    matches = LEXICON.find(text)
    if len(matches) == 1 and (matches[0].start, matches[0].end) == (0, len(text)):
        return matches[0].family
    return None


def mask(word: str) -> str:
    """The word with every letter but the first and last replaced by '*'."""
    return word[0] + "*" * (len(word) - 2) + word[-1]


def fitting_families(pattern: str) -> set[str]:
    """Independent oracle: families of the lexicon forms that fit a pattern ('*' any letter, leet signs
    their letters), same length and first letter."""
    allowed = [{"*": None, "4": "a", "1": "il", "3": "e", "0": "o", "5": "s", "7": "t"}.get(c, c) for c in pattern]
    return {family for form, family in ALL_FORMS
            if len(form) == len(pattern) and form[0] == pattern[0]
            and all(a is None or letter in a for letter, a in zip(form, allowed, strict=True))}


def expected_family(pattern: str, family: str) -> str | None:
    return family if fitting_families(pattern) == {family} else None


# -- the lexicon file -------------------------------------------------------------------------------------

def test_slurs_lexicon_file_is_not_readable_as_is():
    from importlib import resources

    text = resources.files("classifier").joinpath("data", PACKAGED_LEXICON).read_text("utf-8")
    words = set(re.findall(r"[^\W\d_]+", text.lower()))  # every word of the file, comments included
    readable = [i for i, entry in enumerate(MAPPED)
                if any(form.form in words for form in _forms_of(entry)) or set(entry.word.split()) <= words]
    assert not readable, f"entries {readable} can be read in the lexicon file"
    entry_lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert len(entry_lines) == len(LEXICON.entries)
    assert all(re.fullmatch(r"[a-z]+ [A-Za-z0-9+/=]+( disguised)?", line) for line in entry_lines)


def test_slurs_lexicon_header_says_how_it_was_made():
    from importlib import resources

    header = resources.files("classifier").joinpath("data", PACKAGED_LEXICON).read_text("utf-8").split("\n# race")[0]
    for phrase in ("written for this project", "reviewed", "not copied from HurtLex", "Deliberately excluded",
                   "Reclaimed in-group use", "general profanity"):
        assert phrase in header


def test_slurs_lexicon_has_the_three_families_and_no_word_in_two():
    assert LEXICON.families == ("migrant", "race", "religion")
    counts = {family: sum(entry.family == family for entry in MAPPED) for family in LEXICON.families}
    assert counts["race"] >= 30 and counts["religion"] >= 20 and counts["migrant"] >= 8
    by_form: dict[str, set[str]] = {}
    for form, family in ALL_FORMS:
        by_form.setdefault(form, set()).add(family)
    assert [form for form, found in by_form.items() if len(found) > 1] == []
    assert len({entry.word for entry in LEXICON.entries}) == len(LEXICON.entries)


def test_slurs_lexicon_covers_the_common_slurs_the_corpus_test_checks():
    """tests/data/test_corpus.py keeps hashes of common slurs that the corpus must carry masked; the lexicon
    should map each of them."""
    import hashlib

    from tests.helpers import SLUR_HASHES

    ours = {hashlib.sha256(form.encode()).hexdigest()[:16] for form, family in ALL_FORMS if family != OTHER}
    missing = SLUR_HASHES - ours
    assert not missing, f"{len(missing)} of the corpus test's slurs are not in the lexicon"


# -- every spelling maps to its family ------------------------------------------------------------------------

@pytest.mark.parametrize("spell", [
    pytest.param(lambda w: w, id="written out"),
    pytest.param(lambda w: w.upper(), id="upper case"),
    pytest.param(lambda w: w.capitalize() + "'s", id="possessive"),
    pytest.param(lambda w: w + "’s", id="curly possessive"),
    pytest.param(lambda w: (w + "es") if w.endswith(("s", "x", "z", "ch", "sh")) else w + "s", id="plural"),
    pytest.param(lambda w: " ".join(w), id="spaced"),
    pytest.param(lambda w: ".".join(w.upper()), id="dotted"),
    pytest.param(lambda w: ". ".join(w), id="dotted and spaced"),
    pytest.param(lambda w: "-".join(w), id="hyphenated letters"),
    pytest.param(lambda w: w[0] + w[1] * 3 + w[2:] + w[-1] * 2, id="stretched"),
    pytest.param(lambda w: _with_a_lookalike(w), id="a Greek or Cyrillic look-alike letter"),
])
def test_slurs_each_plain_word_maps_to_its_family_however_written(spell):
    wrong = [i for i, entry in enumerate(PLAIN)
             if families(f"they said {spell(entry.word)} to him") != [entry.family]]
    assert not wrong, f"plain entries {wrong} not mapped to their family"


def _with_a_lookalike(word: str) -> str:
    """``word`` with its last letter that has a Greek or Cyrillic look-alike written as that."""
    lookalikes = dict(zip("aeopcyxijk", "аеорсухіјк", strict=True))
    last = max((i for i, char in enumerate(word) if char in lookalikes), default=None)
    return word if last is None else word[:last] + lookalikes[word[last]] + word[last + 1 :]


def test_slurs_a_word_wholly_in_another_script_is_left_alone():
    assert families("\u0440\u0430\u043a\u0438 \u0438 \u0440\u044b\u0431\u0430") == []  # Russian: crayfish and fish


def test_slurs_placeholders_replace_the_whole_written_span():
    for entry in PLAIN:
        for written in (entry.word, " ".join(entry.word), entry.word.upper() + "'s"):
            assert covers_whole(written) == entry.family


def test_slurs_leetspeak_maps_unless_the_signs_fit_another_family():
    checked = 0
    for i, entry in enumerate(PLAIN):
        word = entry.word[0] + "".join(LEET.get(c, c) for c in entry.word[1:])
        if word != entry.word:
            checked += 1
            assert covers_whole(word) == expected_family(word, entry.family), f"plain entry {i}"
    assert checked > 20


def test_slurs_masks_map_when_they_fit_one_family_only():
    mapped = 0
    for i, entry in enumerate(ONE_WORD):
        for form in _forms_of(entry):
            pattern = mask(form.form)
            if len(form.form) >= 3:
                found = covers_whole(f"{pattern}")
                assert found == expected_family(pattern, entry.family), f"entry {i}, a form of {len(pattern)}"
                mapped += found is not None
    assert mapped > 50


@pytest.mark.parametrize(("text", "family"), [
    ("p*ki", "race"), ("p**i", "race"), ("p***s", "race"), ("P*KI's", "race"), ("n****r", "race"),
    ("n***r", "race"), ("n#####r", "race"), ("p_ki", "race"), ("p@ki", "race"), ("n....r", "race"),
    ("y*d", "religion"), ("Y*ds'", "religion"), ("k*fir", "religion"), ("m*zzies", "religion"),
    ("t*wel head", "religion"), ("r*g heads", "religion"), ("t*rbanhead", "religion"),
    ("h*lf-caste", "race"), ("half c*stes", "race"), ("j****e b***y", "race"), ("ch*ng ch*ng", "race"),
    ("g*ppos", "race"), ("gy**o", "race"), ("p*keys", "race"), ("c**n", "race"), ("w*gs", "race"),
    ("P*lacks", "migrant"), ("R*PEFUGEES", "migrant"), ("alb*s", "migrant"),
    ("*p*ki*", "race"), ("#p*ki", "race"), ("shop.p*ki", "race"),
])
def test_slurs_masked_forms_from_the_corpus_map_to_their_family(text, family):
    assert families(f"called him a '{text}' again") == [family]


def test_slurs_two_word_slurs_match_as_two_words_hyphenated_or_one():
    wrong = []
    for i, entry in enumerate(TWO_WORDS):
        first, second = entry.word.split()
        for written in (f"{first} {second}", f"{first}-{second}", first + second, f"{first.title()}  {second}s",
                        f"{first[0]}*{first[2:]} {second}"):
            if families(f"a '{written}' shouted") != [entry.family]:
                wrong.append(i)
    assert not wrong, f"two-word entries {sorted(set(wrong))}"


def collapsed(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


def test_slurs_disguised_only_words_map_only_when_disguised():
    assert DISGUISED
    plain_collapsed = {collapsed(form.form) for entry in PLAIN for form in _forms_of(entry)}
    for i, entry in enumerate(DISGUISED):
        assert families(f"the {entry.word} and the {entry.word.title()}s") == [], f"disguised entry {i}"
        if collapsed(entry.word) not in plain_collapsed:  # else the stretch may spell a plain word
            assert families(f"the {entry.word[0]}{entry.word[1:2] * 4}{entry.word[2:]}") == [], f"stretched {i}"
        pattern = mask(entry.word)
        assert covers_whole(pattern) == expected_family(pattern, entry.family), f"disguised entry {i}"
        assert families(" ".join(entry.word)) == [entry.family]


# -- what is left alone -----------------------------------------------------------------------------------

INNOCENT = [
    "Pakistan", "Pakistani families", "Pakefield", "cocoon", "raccoon", "Niger", "Nigeria", "niggle", "snigger",
    "niggardly", "spick and span", "spice", "a chink of light", "Tinker Bell", "knackered", "skipper", "Terry Wogan",
    "sauerkraut", "Yiddish", "Japan", "Japanese", "jigsaw", "gypsum", "Egypt", "Coolidge", "heebie-jeebies",
    "albino", "Albany", "Polakowski", "pickaxe", "Wokingham", "Skipton", "Dagenham", "scoop",
    "Papua", "the Gypsy and Traveller site", "Roma families", "Muslim", "Jewish", "Jews", "Sikh",
    "Hindu", "asylum seekers", "refugees", "migrants", "Eastern European", "Polish", "Romanian", "Albanian",
    "Chinese", "Asian", "Black", "Irish", "Arab", "J.P.", "e.g.", "a.m.", "p.m.", "U.K.", "y.o.", "A4 paper",
    "Y9 pupil", "M25", "10pm", "b4", "l8r", "!!!", "...", "#3", "***", "so...then", "Mr.Smith",
    "f***", "f***ing", "sh*t", "c***s", "c***", "b***h", "b*****ds", "f*****g", "J*ws", "j*w", "m*slim",
    "g*psy", "a**b", "w*nker", "p***", "*Forwarded*", "times*",
]


@pytest.mark.parametrize("text", INNOCENT)
def test_slurs_innocent_words_profanity_and_group_names_are_left_alone(text):
    assert find_slurs(f"'{text}' said the report") == []
    assert find_slurs(text) == []


def test_slurs_no_match_inside_a_longer_word():
    wrong = []
    for i, entry in enumerate(PLAIN):
        for form in _forms_of(entry):
            x = OUTSIDER
            for longer in (f"{x}{form.form}", f"{form.form}{x}", f"{x}{form.form}{x}", f"{x}{mask(form.form)}",
                           f"{mask(form.form)}{x}" if len(form.form) > 3 else x):
                if find_slurs(f"a {longer} b"):
                    wrong.append(i)
    assert not wrong, f"entries {sorted(set(wrong))} matched inside a longer word"


def test_slurs_masks_that_fit_two_families_or_none_are_left_alone():
    by_shape: dict[tuple[str, int], set[str]] = {}
    for form, family in ALL_FORMS:
        by_shape.setdefault((form[0], len(form)), set()).add(family)
    ambiguous = [first + "*" * (length - 1) for (first, length), found in by_shape.items()
                 if len(found) > 1 and length >= 3]
    assert len(ambiguous) > 5
    assert [pattern for pattern in ambiguous if find_slurs(pattern)] == []
    fits_none = [first + "*" * (length - 2) + "q" for (first, length) in by_shape if length >= 3]
    assert [pattern for pattern in fits_none if find_slurs(pattern)] == []


def test_slurs_a_mask_must_show_the_first_letter():
    assert all(find_slurs("*" + form[1:]) == [] for form, family in ALL_FORMS if family != OTHER)


# -- the corpus ------------------------------------------------------------------------------------------------

def _corpus_texts() -> list[str]:
    texts = []
    for path in (CORPUS, BACKLOG):
        with open(path, encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    return texts


def _written_out(written: str) -> bool:
    """Whether a matched stretch is a lexicon spelling written out (no mask, spacing or leetspeak)."""
    core = re.sub(r"['’]s$", "", written.lower())
    return any(re.sub(r"[ \t-]", "", core) == form for form, _ in ALL_FORMS)


def test_slurs_ordinary_corpus_words_are_never_mapped():
    """Every match in the corpus either contains a mask character or is a slur written out in full (the
    corpus quotes a few); no ordinary word is caught by the masked, spaced, stretched or leetspeak rules."""
    false_hits = []
    for number, text in enumerate(_corpus_texts()):
        for match in find_slurs(text):
            written = text[match.start : match.end]
            if not any(sign in written for sign in "*#@_") and not _written_out(written):
                false_hits.append(number)
    assert false_hits == []


def test_slurs_map_the_corpus_masked_slurs():
    """Masked tokens of the corpus that are not masked profanity or group names map to a family."""
    others = SlurLexicon([LexiconEntry("profanity", entry.word) for entry in LEXICON.entries
                          if entry.family == OTHER])
    slur_like = mapped = 0
    for text in _corpus_texts():
        matches = find_slurs(text)
        for token in re.finditer(r"\S*\*\S*", text):
            word = token.group().strip("'\".,;:!?()")
            if others.find(word) or not re.search(r"[^\W\d_]", word):
                continue
            slur_like += 1
            mapped += any(m.start < token.end() and token.start() < m.end for m in matches)
    assert slur_like > 200
    assert mapped / slur_like >= 0.97, f"{slur_like - mapped} of {slur_like} masked tokens unmapped"


# -- extending and keeping the lexicon ----------------------------------------------------------------------

INVENTED = "zorblax"  # an invented word, standing in for a team's slur


def test_slurs_team_lexicon_file_extends_the_packaged_one_and_pickles(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text(f"# our words\n{INVENTED}\n\nflurb gastle\n", encoding="utf-8")
    lexicon_file = tmp_path / "team.txt"
    lexicon_file.write_text(encode_entries(words.read_text().splitlines(), "caste"), encoding="utf-8")
    assert INVENTED not in lexicon_file.read_text()

    pre = SpacyPreprocessor(extra_slurs=lexicon_file).fit(["x"])
    assert pre.extra_slurs == lexicon_file  # the parameter is kept as given
    texts = [f"they called him a {INVENTED}", "a z*rblax and a flurb-gastle", "p*ki", "plain text"]
    expected = ["they call him a xxslurcaste", "a xxslurcaste and a xxslurcaste", "xxslurrace", "plain text"]
    assert pre.transform(texts) == expected
    lexicon_file.unlink()  # the fitted model carries the entries
    again = pickle.loads(pickle.dumps(pre))
    assert again.transform(texts) == expected
    assert again.extra_slurs == str(lexicon_file)  # pickled as a plain string: no pathlib in model files
    assert INVENTED.encode() not in pickle.dumps(pre)


def test_slurs_team_lexicon_survives_the_allow_list_unpickler(tmp_path):
    from classifier.model.persistence import safe_load, write_model_file

    lexicon_file = tmp_path / "team.txt"
    lexicon_file.write_text(encode_entries([INVENTED], "caste"), encoding="utf-8")
    for extra in (lexicon_file, {"caste": [INVENTED]}):
        write_model_file(SpacyPreprocessor(extra_slurs=extra).fit(["x"]), tmp_path / "pre.pkl.gz")
        assert safe_load(tmp_path / "pre.pkl.gz").transform([INVENTED]) == ["xxslurcaste"]


def test_slurs_team_mapping_and_family_override():
    packaged_word = next(entry.word for entry in PLAIN if entry.family == "race")
    pre = SpacyPreprocessor(extra_slurs={"caste": [INVENTED], "migrant": [packaged_word]}).fit(["x"])
    assert pre.transform([f"{INVENTED} {packaged_word}"]) == [f"xxslurcaste {MIGRANT_TOKEN}"]
    assert SpacyPreprocessor().fit(["x"]).transform([packaged_word]) == [RACE_TOKEN]


def test_slurs_command_line_encodes_and_checks(tmp_path, capsys):
    words = tmp_path / "words.txt"
    words.write_text(f"{INVENTED}\n", encoding="utf-8")
    assert main(["encode", str(words), "--family", "caste", "--disguised"]) == 0
    out = capsys.readouterr().out
    assert out == f"caste {base64.b64encode(INVENTED.encode()).decode()} disguised\n"
    (tmp_path / "team.txt").write_text(out, encoding="utf-8")
    assert main(["check", str(tmp_path / "team.txt")]) == 0
    assert capsys.readouterr().out.strip() == "caste: 1"
    assert main(["encode", str(words), "--family", "Bad Family"]) == 1
    assert "family" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing.txt")]) == 1


@pytest.mark.parametrize(("family", "note"), [
    ("race", None),
    ("other", None),
    ("caste", "note: 'caste' is not a family of the packaged lexicon (migrant, race, religion). Its words become "
              "a new placeholder, xxslurcaste, that no trained model has seen: a model learns it only when retrained"),
    ("rase", "note: 'rase' is not a family of the packaged lexicon (migrant, race, religion; a typo for 'race'?)."),
])
def test_slurs_command_line_says_a_new_family_needs_a_retrained_model(tmp_path, capsys, family, note):
    words = tmp_path / "words.txt"
    words.write_text(f"{INVENTED}\n", encoding="utf-8")
    assert main(["encode", str(words), "--family", family]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{family} ")  # the entries are written all the same
    if note is None:
        assert captured.err == ""
    else:
        assert captured.err.startswith(note)
        assert "give --family migrant, race or religion." in captured.err


@pytest.mark.parametrize(("line", "message"), [
    ("race", "line 2: expected '<family> <base64 word>"),
    ("race abc! disguised", "line 2: the word is not base64"),
    ("Race YWJj", "line 2: the family must be"),
    ("race YWJj maybe", "line 2: expected"),
    (f"race {base64.b64encode(b'ab1').decode()}", "line 2: a word must be"),
    (f"race {base64.b64encode(b'one two three').decode()}", "line 2: a word must be"),
])
def test_slurs_malformed_lexicon_lines_fail_with_the_line_number(line, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_lexicon(f"# header\n{line}\n", "team.txt")


@pytest.mark.parametrize(("params", "message"), [
    ({"slur_normalise": "yes"}, "'slur_normalise' parameter of SpacyPreprocessor must be True or False"),
    ({"extra_slurs": 3}, "extra_slurs must be None, the path of a lexicon file or a mapping"),
    ({"extra_slurs": "/no/such/lexicon.txt"}, "Cannot read the slur lexicon '/no/such/lexicon.txt'"),
    ({"extra_slurs": {"race": "word"}}, "extra_slurs['race'] must be a list of words"),
    ({"extra_slurs": {"Race!": ["word"]}}, "The family must be 2-20 lowercase letters"),
])
def test_slurs_bad_preprocessor_parameters_fail_in_fit(params, message):
    pre = SpacyPreprocessor(**params)  # __init__ only stores them
    with pytest.raises(ConfigError, match=re.escape(message)):
        pre.fit(["x"])


def test_slurs_can_be_switched_off_for_ablations():
    on, off = SpacyPreprocessor().fit(["x"]), SpacyPreprocessor(slur_normalise=False).fit(["x"])
    assert on.transform(["p*kis out"]) == [f"{RACE_TOKEN} out"]
    assert off.transform(["p*kis out"]) == ["p*kis out"]
    assert off.transform_with_spans(["p*ki at 07700 900417"]) == (["p*ki at xxphone"], [[(0, 4), (5, 7), (8, 20)]])


def test_slurs_models_pickled_before_keep_their_behaviour():
    pre = SpacyPreprocessor().fit(["x"])
    state = pre.__getstate__()
    del state["slur_normalise"], state["extra_slurs"], state["extra_slurs_"]
    old = SpacyPreprocessor.__new__(SpacyPreprocessor)
    old.__setstate__(state)
    assert old.slur_normalise is False
    assert old.transform(["p*kis out"]) == ["p*kis out"]


def test_slurs_placeholder_tokens_survive_lemmatising_and_stop_words():
    pre = SpacyPreprocessor(remove_stop_words=True).fit(["x"])
    texts = [f"{RACE_WORD} {RACE_WORD}", "y*ds and k*firs", "P*lacks"]
    assert pre.transform(texts) == [f"{RACE_TOKEN} {RACE_TOKEN}", f"{RELIGION_TOKEN} {RELIGION_TOKEN}",
                                    MIGRANT_TOKEN]


def test_slurs_replace_pads_the_placeholder_with_spaces():
    assert replace_slurs("a p*ki's car") == f"a  {RACE_TOKEN}  car"
    assert replace_slurs("nothing here") == "nothing here"


def test_slurs_lexicon_is_compiled_once():
    assert packaged_lexicon() is packaged_lexicon()
    assert load_lexicon(None) is packaged_lexicon()
    extra = encode_entries([INVENTED], "caste")
    assert load_lexicon(extra) is load_lexicon(extra)


# -- reasons as written ------------------------------------------------------------------------------------

def test_slurs_reason_names_the_family_and_points_at_the_slur_as_written():
    from classifier.model.reasons import ReportWords

    pre = SpacyPreprocessor().fit(["x"])
    spaced = " ".join(RACE_WORD.upper())
    text = f"They shouted P*KI's and {spaced} at 3 of us, then 'r*g heads'. Call 07700 900417."
    [processed], [spans] = pre.transform_with_spans([text])
    words = ReportWords(text, processed, spans)
    race = words.reason(RACE_TOKEN)
    assert race.text == "racial slur"
    assert [text[start:end] for start, end in race.spans] == ["P*KI's", spaced]
    religion = words.reason(RELIGION_TOKEN)
    assert (religion.text, [text[start:end] for start, end in religion.spans]) == ("religious slur", ["r*g heads"])
    assert words.reason("xxphone") is None  # an identifier alone is no reason


def test_slurs_reason_n_gram_with_a_slur():
    from classifier.model.reasons import ReportWords

    pre = SpacyPreprocessor().fit(["x"])
    text = "P*kis OUT of our street, p*kis out everywhere"
    [processed], [spans] = pre.transform_with_spans([text])
    reason = ReportWords(text, processed, spans).reason(f"{RACE_TOKEN} out")
    assert reason.text == "racial slur OUT"
    assert [text[start:end] for start, end in reason.spans] == ["P*kis OUT", "p*kis out"]


# -- time ------------------------------------------------------------------------------------------------------

def _adversarial_units() -> list[str]:
    word = RACE_WORD
    return ["a", "p", "p ", "p a ", "p.a.", "p*", "p*ki ", "n****r ", "*", "a.", "aaa", "t*wel head ", "p-",
            "p. ", "half ", "y*d.", "@", "# ", "x!", "a'", word + " ", " ".join(word) + " ", word[0] + "4" + word[1:],
            word + word[-1] * 50 + " ", "!" * 7 + " "]


@pytest.mark.slow
@pytest.mark.parametrize("unit", range(25))
def test_slurs_find_takes_linear_time(unit):
    assert assert_linear(LEXICON.replace, _adversarial_units()[unit]) < 2.0


# -- the quick test before the full search ----------------------------------------------------------------------

def _spellings():
    word = st.sampled_from([entry.word for entry in MAPPED] + [form for form, _ in ALL_FORMS])
    return st.one_of(
        word,
        word.map(lambda w: " ".join(w)),
        word.map(lambda w: ".".join(w)),
        word.map(lambda w: mask(w) if len(w) > 2 else w),
        word.map(lambda w: w[0] + "".join(LEET.get(c, c) for c in w[1:])),
        word.map(lambda w: w + w[-1] * 3),
        word.map(str.upper),
        st.sampled_from(["the", "a", "i", "x", "p", "10pm", "e.g.", "...", "!!", "J.P.", "y9", "em19"]),
        st.text(alphabet="ab4!*.-'_ ", max_size=6),
    )


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(_spellings(), st.sampled_from([" ", "  ", "-", ". ", ", ", "'", "", "\n"])),
                max_size=6))
def test_slurs_quick_test_never_hides_a_match(parts):
    """`might_contain` lets a text skip the full search; the full search must find nothing in such a text."""
    text = "".join(word + gap for word, gap in parts)
    assert LEXICON.find(text) == _thorough_lexicon().find(text)


@functools.cache
def _thorough_lexicon() -> SlurLexicon:
    """The packaged lexicon without its quick test: every text gets the full search (built once, not per example)."""
    thorough = SlurLexicon(LEXICON.entries)
    thorough.might_contain = lambda text: True
    return thorough
