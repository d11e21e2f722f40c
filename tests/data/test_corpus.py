"""The bundled corpus: rebuilt byte for byte from data/raw/, slurs masked, contact details fictional only."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import re

import pytest

from classifier.model.preprocess import _PII_PATTERNS, EMAIL_TOKEN, PHONE_TOKEN, POSTCODE_TOKEN
from tests.helpers import BACKLOG, CORPUS, ROOT, SLUR_HASHES


def _texts() -> list[tuple[str, str]]:
    """Every shipped report: the corpus, the backlog and the batches written but not built in (data/unused/)."""
    rows = []
    for path, column, key in ((CORPUS, "text", "id"), (BACKLOG, "text", "reference")):
        with open(path, encoding="utf-8", newline="") as handle:
            rows += [(row[key], row[column]) for row in csv.DictReader(handle)]
    for path in sorted((ROOT / "data" / "unused").glob("*.jsonl")):
        lines = path.read_text("utf-8").splitlines()
        rows += [(f"{path.name}:{n}", json.loads(line)["text"]) for n, line in enumerate(lines, 1) if line.strip()]
    return rows


def _build_module():
    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def test_corpus_rebuilds_byte_for_byte_from_the_raw_batches(tmp_path):
    build = _build_module()
    build.main(raw=ROOT / "data" / "raw", out=tmp_path)
    assert (tmp_path / "reports.csv").read_bytes() == CORPUS.read_bytes()
    assert (tmp_path / "backlog_sample.csv").read_bytes() == BACKLOG.read_bytes()


def test_corpus_label_corrections_change_only_their_reports_and_check_what_they_correct(tmp_path):
    import json

    build = _build_module()
    reports = [{"text": "a", "labels": "immigration"}, {"text": "b", "labels": ""}]
    fixes = tmp_path / "fixes.json"
    fixes.write_text(json.dumps([{"id": "R0001", "was": ["immigration"], "labels": ["race_hate", "immigration"],
                                  "reason": "test"}]), "utf-8")
    build.apply_corrections(reports, fixes)
    assert reports == [{"text": "a", "labels": "immigration;race_hate"}, {"text": "b", "labels": ""}]
    # Applied again, the report no longer carries what the correction says it had: the build stops.
    with pytest.raises(SystemExit, match="R0001 is labelled 'immigration;race_hate'"):
        build.apply_corrections(reports, fixes)
    fixes.write_text(json.dumps([{"id": "R0009", "was": [], "labels": ["race_hate"], "reason": "test"}]), "utf-8")
    with pytest.raises(SystemExit, match="no report R0009"):
        build.apply_corrections(reports, fixes)


def test_corpus_carries_no_unmasked_slur():
    found = []
    for ref, text in _texts():
        words = re.findall(r"[a-z]+", re.sub(r"(?<=[a-z])-(?=[a-z])", "", text.lower()))
        if any(hashlib.sha256(w.encode()).hexdigest()[:16] in SLUR_HASHES for w in words):
            found.append(ref)
    assert not found, f"unmasked slurs in {found}: mask them in data/raw/ (e.g. 'p*ki') and rebuild"


def test_corpus_spells_out_no_word_of_the_packaged_slur_lexicon():
    """Every slur the preprocessing maps (written out, spaced or in leetspeak) is masked with a mask sign."""
    from classifier.model.slurs import packaged_lexicon

    lexicon = packaged_lexicon()
    found = [(ref, match.family) for ref, text in _texts() for match in lexicon.find(text)
             if not set(text[match.start:match.end]) & set("*#@$_")]
    assert not found, f"slurs written out in {found}: mask them in data/raw/ (e.g. 'p*ki') and rebuild"


@pytest.mark.parametrize("kind", ["email", "phone", "postcode"])
def test_corpus_contact_details_are_reserved_fictional_ones(kind):
    """What the preprocessor masks as a contact detail is a reserved one: e-mails at example.com/.org, Ofcom's
    drama numbers (07700 900xxx, 0113 496 0xxx), postcodes in 'EM'."""
    token, allowed = {
        "email": (EMAIL_TOKEN, lambda m: re.search(r"@(?:[\w-]+\.)*example\.(?:com|org|net)$", m)),
        "phone": (PHONE_TOKEN, lambda m: re.sub(r"\D", "", m).startswith(("07700900", "01134960"))),
        "postcode": (POSTCODE_TOKEN, lambda m: m.startswith("EM")),
    }[kind]
    pattern = next(pattern for pattern, masked_as in _PII_PATTERNS if masked_as == token)
    bad = [ref for ref, text in _texts() for m in pattern.finditer(text) if not allowed(m.group(0))]
    assert not bad, f"{kind}s that are not the fictional placeholders in {bad}"


def test_corpus_check_raw_finds_near_duplicate_pairs_a_block_at_a_time():
    spec = importlib.util.spec_from_file_location("check_raw", ROOT / "scripts" / "check_raw.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    texts = ["the cat sat on the mat", "bins not collected on Elm Road", "the cat sat on the mat!", "bins again",
             "bins not collected on Elm Road today"]
    expected = check.similar_pairs(texts, block=len(texts))
    assert [(i, j) for i, j, _ in expected] == [(0, 2), (1, 4)]
    assert check.similar_pairs(texts, block=2) == expected  # the same whatever the block size
