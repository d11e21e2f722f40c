"""The bundled corpus: rebuilt byte for byte from data/raw/, slurs masked, contact details fictional only."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import re

import pytest

from classifier.model.preprocess import _PII_PATTERNS, EMAIL_TOKEN, PHONE_TOKEN, POSTCODE_TOKEN
from tests.helpers import CORPUS, ROOT

BACKLOG = ROOT / "data" / "backlog_sample.csv"
# First 16 hex digits of the SHA-256 of common slurs (lowercase, hyphens dropped), so the list itself never
# has to be written out in the repo. The corpus must carry them masked ("p*ki"), never in full.
SLUR_HASHES = frozenset({
    "044eb98b18769b88", "08a841e996781e9e", "120f6e5b4ea32f65", "17a110e533284872", "1c86838fb43455df",
    "22fc75e65a0e9d34", "268651b3ece98010", "27a62b68179c96f5", "3175bf0638675a5b", "333f7618092958c7",
    "341d56384afc0f47", "3b1e0d7c5dd45583", "3cc0a581d3bbe605", "43508b5c03b8b8ce", "448b303c89bef071",
    "457f002f9240a36a", "45cd3e1bb472d8e2", "5760d98e95021846", "58d5ed002eca1b4f", "5b3ae48be122f7ed",
    "5cb6af4323aaf6f8", "6074caeaaf7f19f8", "64dd7c4e8012281c", "7122c9a14ba2d20e", "83bd72f7a1be797a",
    "83dd8e733b1e2c6e", "864316e761195ffc", "98b52c4b6b7d1f48", "b3cec2f6ece2cef2", "b54a0c4f63115cfa",
    "be00f1af522eaa99", "c3de533e9b7fe63b", "c70e3e7c47f06aee", "ca8aca2ceb3c2d1f", "d00a3db7315ab70d",
    "d067075bc9d8def2", "da0a6b1b9213d48f", "daec0c235d3135fc", "dc675e448132fd2a", "e7b98c6aa5b944e0",
    "e9e8b6c5afa7794f", "ee5a869b5ace6905", "f4a5cc0c3285bd0e", "f64c6fad9c3c8b57", "f9d0d9b18ae9033a",
})


def _texts() -> list[tuple[str, str]]:
    rows = []
    for path, column, key in ((CORPUS, "text", "id"), (BACKLOG, "text", "reference")):
        with open(path, encoding="utf-8", newline="") as handle:
            rows += [(row[key], row[column]) for row in csv.DictReader(handle)]
    return rows


def test_corpus_rebuilds_byte_for_byte_from_the_raw_batches(tmp_path):
    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.main(raw=ROOT / "data" / "raw", out=tmp_path)
    assert (tmp_path / "reports.csv").read_bytes() == CORPUS.read_bytes()
    assert (tmp_path / "backlog_sample.csv").read_bytes() == BACKLOG.read_bytes()


def test_corpus_carries_no_unmasked_slur():
    found = []
    for ref, text in _texts():
        words = re.findall(r"[a-z]+", re.sub(r"(?<=[a-z])-(?=[a-z])", "", text.lower()))
        if any(hashlib.sha256(w.encode()).hexdigest()[:16] in SLUR_HASHES for w in words):
            found.append(ref)
    assert not found, f"unmasked slurs in {found}: mask them in data/raw/ (e.g. 'p*ki') and rebuild"


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
