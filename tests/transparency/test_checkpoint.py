"""transparency.checkpoint (C2SP tlog-checkpoint) against the shared vectors and properties."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vectors
from transparency.checkpoint import (
    Checkpoint,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from transparency.errors import FormatError, SignatureError
from transparency.merkle import EMPTY_ROOT
from transparency.note import MAX_NOTE_SIZE, parse_note
from transparency.note_keys import Signer

V = load_vectors("tlog/notes.json")
LOG = Signer("example.com/log", bytes(range(32)))


def strict_expectation(case: dict) -> bool:
    """Whether a strict C2SP parser accepts the body, as the vector file records it."""
    if "c2sp_strict_analysis_COMPUTED" in case:
        return bool(case["c2sp_strict_analysis_COMPUTED"]["ok"])
    if "c2sp_checkpoint_analysis" in case:
        return case["c2sp_checkpoint_analysis"].startswith("valid")
    return bool(case["go_tlog_ParseTree"]["ok"])


@pytest.mark.parametrize("case", V["checkpoint_bodies"], ids=lambda c: c["text"][:30])
def test_checkpoint_body_vectors(case: dict) -> None:
    body = case["text"].encode()
    if not strict_expectation(case):
        with pytest.raises(FormatError):
            parse_checkpoint(body)
        return
    cp = parse_checkpoint(body)
    go = case["go_tlog_ParseTree"]
    assert cp.tree_size == go["size"]
    if "root_b64" in go:
        assert base64.b64encode(cp.root_hash).decode() == go["root_b64"]
    assert format_checkpoint(cp) == body
    assert cp.extensions == tuple(case["text"].split("\n")[3:-1])


@pytest.mark.parametrize(
    "case", [c for c in V["vectors"] if "checkpoint" in c], ids=lambda c: c["id"]
)
def test_signed_checkpoint_vectors(case: dict) -> None:
    data = base64.b64decode(case["note_b64"])
    want = case["checkpoint"]
    cp, opened = open_checkpoint(data, case["verifier_keys"], origin=want["origin"])
    assert cp == Checkpoint(
        want["origin"], want["size"], base64.b64decode(want["root_b64"]),
        tuple(want["extension_lines"]),
    )  # fmt: skip
    assert [f"{s.name}+{s.key_id:08x}" for s in opened.verified] == case["expected"]["verified"]
    assert format_checkpoint(cp) == opened.text
    with pytest.raises(FormatError, match="origin"):
        open_checkpoint(data, case["verifier_keys"], origin=want["origin"] + "x")


def test_sign_and_open() -> None:
    cp = Checkpoint("example.com/log", 0, EMPTY_ROOT)
    note = sign_checkpoint(cp, [LOG])
    assert note.startswith(b"example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n")
    assert open_checkpoint(note, [LOG.verifier_key])[0] == cp
    other = Signer("example.com/log", bytes(32))
    with pytest.raises(SignatureError):
        open_checkpoint(note, [other.verifier_key])
    with pytest.raises(FormatError):
        sign_checkpoint(cp, [])


def test_signed_note_whose_text_is_not_a_checkpoint() -> None:
    from transparency.note import sign_note

    with pytest.raises(FormatError, match="lines"):
        open_checkpoint(sign_note(b"just text\n", [LOG]), [LOG.verifier_key])


ROOT = base64.b64encode(b"\x01" * 32).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"o\n 12\n{ROOT}\n",
        f"o\n+12\n{ROOT}\n",
        f"o\n012\n{ROOT}\n",
        f"o\n1_2\n{ROOT}\n",
        f"o\n-1\n{ROOT}\n",
        f"o\n{1 << 63}\n{ROOT}\n",
        f"o\n12\n{ROOT}",
        f"\n12\n{ROOT}\n",
        f"o\n12\n{ROOT[:-2]}B=\n",  # non-canonical base64
        f"o\n12\n{ROOT[:-1]}\n",  # unpadded
        f"o\n12\n{base64.b64encode(b'x' * 31).decode()}\n",
        f"o\n12\n{ROOT}\n\n",  # empty extension line
        f"o\n12\n{ROOT}\next\n\n",
        f"o\t\n12\n{ROOT}\n",
        f"o\n12\r\n{ROOT}\n",
        "o\n12\n",
    ],
)
def test_parse_checkpoint_rejects(body: str) -> None:
    with pytest.raises(FormatError):
        parse_checkpoint(body.encode())


def test_size_bounds() -> None:
    cp = parse_checkpoint(f"o\n{(1 << 63) - 1}\n{ROOT}\n".encode())
    assert cp.tree_size == (1 << 63) - 1
    with pytest.raises(FormatError):
        parse_checkpoint(b"o\n1\n" + ROOT.encode() + b"\n" + b"e\n" * (MAX_NOTE_SIZE // 2))
    for bad in (
        {"origin": "", "tree_size": 1, "root_hash": EMPTY_ROOT},
        {"origin": "o\n", "tree_size": 1, "root_hash": EMPTY_ROOT},
        {"origin": "o", "tree_size": -1, "root_hash": EMPTY_ROOT},
        {"origin": "o", "tree_size": 1 << 63, "root_hash": EMPTY_ROOT},
        {"origin": "o", "tree_size": True, "root_hash": EMPTY_ROOT},
        {"origin": "o", "tree_size": 1, "root_hash": EMPTY_ROOT[:31]},
        {"origin": "o", "tree_size": 1, "root_hash": EMPTY_ROOT, "extensions": ("",)},
    ):
        with pytest.raises(FormatError):
            Checkpoint(**bad)  # type: ignore[arg-type]
    with pytest.raises(FormatError, match="control"):
        format_checkpoint(Checkpoint("o\x00", 1, EMPTY_ROOT))


LINES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x7f").filter(
        lambda c: c >= " "
    ),
    min_size=1,
    max_size=40,
)
CHECKPOINTS = st.builds(
    Checkpoint,
    LINES,
    st.integers(0, (1 << 63) - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(LINES, max_size=3).map(tuple),
)


@settings(max_examples=200)
@given(CHECKPOINTS)
def test_checkpoint_round_trip(cp: Checkpoint) -> None:
    body = format_checkpoint(cp)
    assert parse_checkpoint(body) == cp
    assert format_checkpoint(parse_checkpoint(body)) == body


@settings(max_examples=30, deadline=None)
@given(CHECKPOINTS)
def test_signed_checkpoint_round_trip(cp: Checkpoint) -> None:
    note = sign_checkpoint(cp, [LOG])
    assert parse_note(note).text == format_checkpoint(cp)
    assert open_checkpoint(note, [LOG.verifier_key], origin=cp.origin)[0] == cp
