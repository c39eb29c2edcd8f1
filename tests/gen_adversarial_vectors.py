"""Generate tests/vectors/adversarial/{notes,cosignatures,policies,trust,announces}.json.

Run `python -m tests.gen_adversarial_vectors` (add `--check` to compare with the
committed files). The Python tests (tests/test_adversarial_vectors.py) and the
node tests (tests/public_portal/js/adversarial.test.mjs) read the same files.

Only the INPUTS are computed here (keys from fixed seeds, Ed25519 signatures
with `cryptography`, which is deterministic). Every expected verdict is
written by hand below from the specs (C2SP signed-note, tlog-checkpoint,
tlog-cosignature, tlog-witness, tlog-policy; docs/spec/*.md; DESIGN §4-5),
never obtained by running fairdraw's own verifiers: the point of the corpus is
to catch both implementations agreeing on something wrong.

Where fairdraw is stricter than a spec allows it to be, the vector says so in
its `why` (e.g. a repeated line of a known key is verified, not skipped as Go's
note.Open does; U+FEFF is refused in key names).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

OUT = Path(__file__).resolve().parent / "vectors" / "adversarial"
EM = "\u2014 "
ORIGIN = "example.org/adversarial-log"
ROOT = base64.b64encode(hashlib.sha256(b"adversarial root").digest()).decode()
BODY = f"{ORIGIN}\n5\n{ROOT}\n"
OTHER_BODY = f"{ORIGIN}\n6\n{ROOT}\n"
T = 1_760_000_000  # a cosignature time (2025-10-09)
MAX_TS = 2**63 - 1


# -- keys ---------------------------------------------------------------------------------


class Key:
    """An Ed25519 key from a fixed label: vkeys and signature lines for notes and cosignatures."""

    def __init__(self, label: str, name: str) -> None:
        self.name = name
        self.sk = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())
        self.pk = self.sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def key_id(self, sig_type: int, name: str | None = None) -> bytes:
        n = self.name if name is None else name
        return hashlib.sha256(n.encode() + b"\n" + bytes([sig_type]) + self.pk).digest()[:4]

    def vkey(self, sig_type: int = 0x01, name: str | None = None) -> str:
        n = self.name if name is None else name
        key = base64.b64encode(bytes([sig_type]) + self.pk).decode()
        return f"{n}+{self.key_id(sig_type, n).hex()}+{key}"

    def note_line(self, text: str, name: str | None = None) -> str:
        """A type 0x01 signature line over note text `text`."""
        n = self.name if name is None else name
        sig = self.sk.sign(text.encode())
        return line(n, self.key_id(0x01, n) + sig)

    def cosig_line(self, body: str, ts: int, name: str | None = None,
                   signed_ts: int | None = None) -> str:
        """A cosignature/v1 line; `signed_ts` lets the signed time differ from the stated one."""
        n = self.name if name is None else name
        msg = f"cosignature/v1\ntime {ts if signed_ts is None else signed_ts}\n{body}".encode()
        payload = self.key_id(0x04, n) + ts.to_bytes(8, "big") + self.sk.sign(msg)
        return line(n, payload)


def line(name: str, payload: bytes) -> str:
    return f"{EM}{name} {base64.b64encode(payload).decode()}\n"


def junk(key_id: bytes, size: int, label: str) -> bytes:
    data = b""
    while len(data) < size:
        data += hashlib.sha256(label.encode() + bytes([len(data)])).digest()
    return key_id + data[:size]


LOG = Key("fairdraw adversarial log", ORIGIN)
LOG2 = Key("fairdraw adversarial other log", ORIGIN)
W1 = Key("fairdraw adversarial witness 1", "w1.example")
W2 = Key("fairdraw adversarial witness 2", "w2.example")
W3 = Key("fairdraw adversarial witness 3", "w3.example")
ROGUE = Key("fairdraw adversarial rogue", "w1.example")


def note(body: str, *lines: str) -> str:
    return body + "\n" + "".join(lines)


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def ok_note(**extra: Any) -> dict[str, Any]:
    return {"result": "ok", **extra}


def err(kind: str, message: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"result": kind}
    if message is not None:
        out["message"] = message
    return out


# -- notes.json ---------------------------------------------------------------------------


def notes() -> list[dict[str, Any]]:
    lg = LOG.vkey()
    ok_line = LOG.note_line(BODY)
    log_id = LOG.key_id(0x01)
    v: list[dict[str, Any]] = []

    def add(name: str, why: str, note_value: Any, keys: list[str], expect: dict[str, Any],
            op: str = "open_note", origin: str | None = None) -> None:
        case: dict[str, Any] = {"name": name, "why": why, "op": op, "note": note_value,
                                "verifier_keys": keys, "expect": expect}
        if origin is not None:
            case["origin"] = origin
        v.append(case)

    verified = [f"{ORIGIN}+{log_id.hex()}"]
    add("ok", "one valid log signature", note(BODY, ok_line), [lg],
        ok_note(verified=verified))
    add("duplicate-identical-line", "a repeated identical line of a known key counts once",
        note(BODY, ok_line, ok_line), [lg], ok_note(verified=verified))
    add("junk-after-valid-known-key",
        "a second line under the log's name and key id with a bad signature: a known key's "
        "signature MUST verify (signed-note), so the whole note is rejected even though Go "
        "skips repeats unverified (fairdraw is stricter)",
        note(BODY, ok_line, line(ORIGIN, junk(log_id, 64, "junk1"))), [lg],
        err("invalid_signature"))
    add("junk-before-valid-known-key", "bad line of a known key first, valid second",
        note(BODY, line(ORIGIN, junk(log_id, 64, "junk2")), ok_line), [lg],
        err("invalid_signature"))
    add("short-signature-known-key", "known key, 10 signature bytes instead of 64",
        note(BODY, line(ORIGIN, junk(log_id, 10, "short"))), [lg], err("invalid_signature"))
    add("key-id-collision-other-key",
        "a line claiming the log's name and key id, signed by another Ed25519 key",
        note(BODY, line(ORIGIN, log_id + LOG2.sk.sign(BODY.encode()))), [lg],
        err("invalid_signature"))
    add("same-name-other-key-id", "the log's name with another key id is an unknown key",
        note(BODY, LOG2.note_line(BODY)), [lg], err("no_verifiable_signature"))
    add("same-key-id-other-name", "the log's key id under another name is an unknown key",
        note(BODY, line("example.org/impostor", log_id + LOG.sk.sign(BODY.encode()))), [lg],
        err("no_verifiable_signature"))
    add("unknown-plus-valid", "unknown keys are ignored", note(BODY, W1.note_line(BODY), ok_line),
        [lg], ok_note(verified=verified))
    add("ambiguous-key", "the same verifier key configured twice", note(BODY, ok_line), [lg, lg],
        err("ambiguous_key"))
    noncanon = b64(log_id + LOG.sk.sign(BODY.encode()))
    assert noncanon.endswith("=")
    assert not noncanon.endswith("==")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    flipped = alphabet[alphabet.index(noncanon[-2]) ^ 1]  # sets a padding bit: same bytes
    bumped = noncanon[:-2] + flipped + "="
    add("non-canonical-base64", "base64 with non-zero padding bits must not re-encode the same",
        note(BODY, f"{EM}{ORIGIN} {bumped}\n"), [lg], err("malformed"))
    add("unpadded-base64", "RFC 4648 padding is required",
        note(BODY, f"{EM}{ORIGIN} {noncanon.rstrip('=')}\n"), [lg], err("malformed"))
    add("base64-url-alphabet", "URL-safe base64 alphabet is not standard base64",
        note(BODY, f"{EM}{ORIGIN} {noncanon.replace('+', '-').replace('/', '_')}\n"), [lg],
        err("malformed") if ("+" in noncanon or "/" in noncanon) else ok_note(verified=verified))
    add("trailing-space", "a space after the base64",
        note(BODY, ok_line[:-1] + " \n"), [lg], err("malformed"))
    add("en-dash", "signature lines start with an em dash U+2014, not an en dash",
        note(BODY, ok_line.replace("\u2014", "\u2013")), [lg], err("malformed"))
    add("no-final-newline", "the signature block ends in a newline", note(BODY, ok_line)[:-1],
        [lg], err("malformed"))
    add("no-blank-line", "text and signatures are split by a blank line", BODY + ok_line, [lg],
        err("malformed"))
    add("empty-signature-block", "a note needs at least one signature line", BODY + "\n", [lg],
        err("malformed"))
    add("four-byte-signature", "a signature line carries at least 5 bytes",
        note(BODY, line(ORIGIN, log_id)), [lg], err("malformed"))
    add("no-space-in-line", "'— name base64' needs the space",
        note(BODY, f"{EM}{ORIGIN}\n"), [lg], err("malformed"))
    add("control-char", "no control characters but newline",
        note(BODY.replace("\n5\n", "\n5\x01\n"), ok_line), [lg], err("malformed"))
    add("carriage-return", "CR is a control character",
        note(BODY.replace("\n", "\r\n", 1), ok_line), [lg], err("malformed"))
    add("del-char", "DEL (0x7f) counts as a control character (fairdraw, stricter than Go)",
        note(BODY + "x\x7f\n", ok_line), [lg], err("malformed"))
    add("invalid-utf8", "the whole note is UTF-8",
        {"b64": b64(BODY.encode() + b"\xff\n\n" + ok_line.encode())}, [lg], err("malformed"))
    add("feff-in-signature-name",
        "U+FEFF in a key name (invisible; not White_Space but refused by fairdraw, as a "
        "browser's \\s does)",
        note(BODY, ok_line, W1.note_line(BODY, name="w1.example\ufeff")), [lg],
        err("malformed"))
    add("nbsp-in-signature-name", "U+00A0 is a Unicode space", note(
        BODY, ok_line, W1.note_line(BODY, name="w1\u00a0example")), [lg], err("malformed"))
    add("plus-in-signature-name", "'+' is not allowed in key names",
        note(BODY, ok_line, W1.note_line(BODY, name="w1+example")), [lg], err("malformed"))
    add("feff-in-vkey-name", "a verifier key whose name holds U+FEFF is refused",
        note(BODY, ok_line), [lg, W1.vkey(name="w1\ufeff")], err("malformed"))
    add("control-in-vkey-name", "a verifier key whose name holds a control character",
        note(BODY, ok_line), [lg, W1.vkey(name="w1\x01x")], err("malformed"))
    add("vkey-wrong-key-id", "the key id must be the hash of name, type and key",
        note(BODY, ok_line), [lg.replace(log_id.hex(), "00000000")], err("malformed"))
    add("vkey-uppercase-hex", "key ids are 8 lowercase hex digits",
        note(BODY, ok_line), [lg.replace(log_id.hex(), log_id.hex().upper())]
        if log_id.hex() != log_id.hex().upper() else [lg + "x"], err("malformed"))
    add("no-known-signature", "only unknown keys signed", note(BODY, W1.note_line(BODY)), [lg],
        err("no_verifiable_signature"))
    many = [Key(f"unknown {i}", f"u{i}.example").note_line(BODY) for i in range(99)]
    add("100-signatures", "verifiers MUST accept at least 16 and fairdraw takes up to 100",
        note(BODY, ok_line, *many), [lg], ok_note(verified=verified))
    extra = Key("unknown 99", "u99.example").note_line(BODY)
    add("101-signatures", "more than 100 signature lines is malformed (as Go)",
        note(BODY, ok_line, *many, extra), [lg], err("malformed"))
    # An over-long note: the text is padded with "a" up to a total of 2^20 (+1) bytes.
    for total, expect in ((1 << 20, ok_note(verified=verified)), ((1 << 20) + 1, err("malformed"))):
        prefix = "padding\n"
        tail_len = 2 + len("\n")  # "\n" ending the filler line + blank line, see below
        sig_len = len(LOG.note_line("x").encode())
        filler = total - len(prefix) - tail_len - sig_len + 1
        text = prefix + "a" * filler + "\n"
        sig_line = LOG.note_line(text)
        assert len((text + "\n" + sig_line).encode()) == total, total
        add(f"note-of-{total}-bytes", "notes are bounded at 2^20 bytes before parsing",
            {"concat": [prefix, {"repeat": "a", "times": filler}, "\n\n" + sig_line]}, [lg],
            expect)
    empty_lines = "first\n\nthird\n"
    add("empty-text-lines", "a note text MAY contain empty lines (the LAST blank line splits)",
        note(empty_lines, LOG.note_line(empty_lines)), [lg], ok_note(verified=verified))
    # Checkpoints.
    add("checkpoint-ok", "a strict checkpoint", note(BODY, ok_line), [lg],
        ok_note(verified=verified, tree_size="5"), op="open_checkpoint", origin=ORIGIN)
    add("checkpoint-origin-mismatch", "the checkpoint is for another log than trust.json names",
        note(BODY, ok_line), [lg], err("malformed", "origin"), op="open_checkpoint",
        origin="example.org/other-log")
    with_empty_ext = BODY + "\n"
    add("checkpoint-empty-extension-line", "extension lines are non-empty",
        note(with_empty_ext, LOG.note_line(with_empty_ext)), [lg], err("malformed"),
        op="open_checkpoint", origin=ORIGIN)
    for label, size in (("leading-zero", "05"), ("plus-sign", "+5"), ("too-large", str(2**63)),
                        ("underscore", "1_0"), ("empty", "")):
        body = f"{ORIGIN}\n{size}\n{ROOT}\n"
        add(f"checkpoint-size-{label}", "the tree size is a canonical decimal below 2^63",
            note(body, LOG.note_line(body)), [lg], err("malformed"), op="open_checkpoint",
            origin=ORIGIN)
    body = f"{ORIGIN}\n{2**63 - 1}\n{ROOT}\n"
    add("checkpoint-size-max", "2^63 - 1 is the largest tree size", note(body, LOG.note_line(body)),
        [lg], ok_note(verified=verified, tree_size=str(2**63 - 1)), op="open_checkpoint",
        origin=ORIGIN)
    short_root = base64.b64encode(bytes(31)).decode()
    body = f"{ORIGIN}\n5\n{short_root}\n"
    add("checkpoint-root-31-bytes", "the root hash is exactly 32 bytes",
        note(body, LOG.note_line(body)), [lg], err("malformed"), op="open_checkpoint",
        origin=ORIGIN)
    for size, expect in ((1_000_000, ok_note(verified=verified, tree_size="5")),
                         (1_000_001, err("malformed"))):
        ext = size - len(BODY) - 1
        body = BODY + "e" * ext + "\n"
        add(f"checkpoint-of-{size}-bytes", "checkpoints are bounded at 10^6 bytes (torchwood), "
            "inside a note bounded at 2^20",
            {"concat": [BODY, {"repeat": "e", "times": ext}, "\n\n" + LOG.note_line(body)]}, [lg],
            expect, op="open_checkpoint", origin=ORIGIN)
    body = f"{ORIGIN}\n5\n"
    add("checkpoint-two-lines", "origin, size and root are required",
        note(body, LOG.note_line(body)), [lg], err("malformed"), op="open_checkpoint",
        origin=ORIGIN)
    body = f"\n5\n{ROOT}\n"
    add("checkpoint-empty-origin", "the origin line is non-empty",
        note(body, LOG.note_line(body)), [lg], err("malformed"), op="open_checkpoint",
        origin="")
    return v


# -- cosignatures.json --------------------------------------------------------------------


def cosignatures() -> list[dict[str, Any]]:
    w1 = W1.vkey(0x04)
    v: list[dict[str, Any]] = []

    def add(name: str, why: str, vkey: str, cosig: str, expect: dict[str, Any],
            body: str = BODY) -> None:
        v.append({"name": name, "why": why, "op": "verify_cosignature_line", "vkey": vkey,
                  "body": body, "line": cosig, "expect": expect})

    def key(name: str, why: str, vkey: str, expect: dict[str, Any]) -> None:
        v.append({"name": name, "why": why, "op": "parse_cosigner_key", "vkey": vkey,
                  "expect": expect})

    add("ok", "a valid cosignature/v1", w1, W1.cosig_line(BODY, T), ok_note(timestamp=str(T)))
    add("ok-without-newline", "the line may be given without its final newline", w1,
        W1.cosig_line(BODY, T)[:-1], ok_note(timestamp=str(T)))
    add("timestamp-zero", "tlog-witness: the timestamp MUST NOT be 0", w1,
        W1.cosig_line(BODY, 0), err("malformed"))
    add("timestamp-one", "1 is the smallest timestamp", w1, W1.cosig_line(BODY, 1),
        ok_note(timestamp="1"))
    add("timestamp-max", "2^63 - 1 is the largest timestamp", w1, W1.cosig_line(BODY, MAX_TS),
        ok_note(timestamp=str(MAX_TS)))
    add("timestamp-2^63", "tlog-cosignature: the timestamp MUST be at most 2^63 - 1", w1,
        W1.cosig_line(BODY, 2**63), err("malformed"))
    add("signed-other-time", "the stated timestamp is not the signed one", w1,
        W1.cosig_line(BODY, T, signed_ts=T - 3600), err("invalid_signature"))
    add("other-checkpoint", "a valid cosignature of another checkpoint", w1,
        W1.cosig_line(OTHER_BODY, T), err("invalid_signature"))
    add("other-witness", "a line by another witness key", w1, W2.cosig_line(BODY, T),
        err("invalid_signature", "not by this key"))
    add("rogue-key-same-name-and-id", "a line under w1's name and key id by another key", w1,
        line(W1.name, W1.key_id(0x04) + T.to_bytes(8, "big")
             + ROGUE.sk.sign(f"cosignature/v1\ntime {T}\n{BODY}".encode())),
        err("invalid_signature"))
    add("type-01-signature", "a plain Ed25519 note signature is not a cosignature", w1,
        line(W1.name, W1.key_id(0x04) + W1.sk.sign(BODY.encode())), err("malformed"))
    good = W1.cosig_line(BODY, T)
    raw = base64.b64decode(good.split(" ")[2])
    add("one-byte-more", "a cosignature/v1 line carries exactly 76 bytes", w1,
        line(W1.name, raw + b"\x00"), err("malformed"))
    add("carriage-return", "CR before the newline", w1, good[:-1] + "\r\n", err("malformed"))
    add("two-lines", "exactly one line", w1, good + good, err("malformed"))
    key("vkey-ok", "a type 0x04 verifier key", w1, ok_note(name=W1.name,
                                                          key_id=W1.key_id(0x04).hex()))
    key("vkey-type-01", "cosigner keys have type 0x04", W1.vkey(0x01), err("malformed"))
    key("vkey-wrong-id", "the key id is computed over type 0x04",
        w1.replace(W1.key_id(0x04).hex(), W1.key_id(0x01).hex()), err("malformed"))
    key("vkey-feff-name", "U+FEFF in a cosigner key name", W1.vkey(0x04, name="w1\ufeff"),
        err("malformed"))
    key("vkey-space-name", "a space in a cosigner key name", W1.vkey(0x04, name="w1 x"),
        err("malformed"))
    key("vkey-short-key", "an Ed25519 key is 32 bytes",
        f"{W1.name}+{W1.key_id(0x04).hex()}+{b64(bytes([4]) + W1.pk[:31])}", err("malformed"))
    return v


# -- policies.json ------------------------------------------------------------------------


def policies() -> list[dict[str, Any]]:
    def pol(k: int = 2, quorum: str = "q", names: tuple[str, ...] = ("w1", "w2", "w3"),
            keys: tuple[Key, ...] = (W1, W2, W3)) -> dict[str, Any]:
        return {"witnesses": [{"name": n, "vkey": key.vkey(0x04)} for n, key in zip(names, keys,
                                                                                      strict=True)],
                "groups": [{"name": "q", "k": k, "members": list(names)}], "quorum": quorum}

    v: list[dict[str, Any]] = []

    def parse(name: str, why: str, policy: Any, expect: dict[str, Any]) -> None:
        v.append({"name": name, "why": why, "op": "parse_policy", "policy": policy,
                  "expect": expect})

    def check(name: str, why: str, policy: Any, note_text: str, not_after: int | None,
              expect: dict[str, Any]) -> None:
        v.append({"name": f"check-{name}", "why": why, "op": "check_policy", "policy": policy,
                  "note": note_text, "not_after": not_after, "expect": expect})

    base = pol()
    parse("ok", "2 of 3", base, ok_note(witnesses=["w1", "w2", "w3"], quorum="q"))
    parse("quorum-none", "a verifier's policy must need at least one witness: quorum "
          "\"none\" would let the operator alone prove the commitment",
          {"witnesses": [], "groups": [], "quorum": "none"}, err("policy_format", "none"))
    p = copy.deepcopy(base)
    p["groups"][0]["members"] = ["w1", "w2", "w4"]
    parse("unknown-member", "a group names an undefined witness", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["quorum"] = "w4"
    parse("unknown-quorum", "the quorum names nothing defined", p, err("policy_format"))
    p = {"witnesses": base["witnesses"],
         "groups": [{"name": "outer", "k": 1, "members": ["inner"]},
                    {"name": "inner", "k": 1, "members": ["w1"]}], "quorum": "outer"}
    parse("forward-reference", "groups name only witnesses or earlier groups", p,
          err("policy_format"))
    nested = {"witnesses": base["witnesses"],
              "groups": [{"name": "inner", "k": 1, "members": ["w2", "w3"]},
                         {"name": "outer", "k": 2, "members": ["w1", "inner"]}],
              "quorum": "outer"}
    parse("nested", "a group of a witness and an earlier group", nested,
          ok_note(witnesses=["w1", "w2", "w3"], quorum="outer"))
    same_key = pol(names=("w1", "w2", "w3"), keys=(W1, W2, W3))
    same_key["witnesses"][1]["vkey"] = W1.vkey(0x04, name="w2.example")
    parse("one-key-two-names", "one Ed25519 key under two witness key names would count "
          "twice; tlog-policy forbids two witnesses with the same public key", same_key,
          err("policy_format"))
    mixed = copy.deepcopy(base)
    mixed["witnesses"][1]["vkey"] = W1.vkey(0x01)
    parse("one-key-0x01-and-0x04", "the same key as 0x04 and (converted) 0x01 vkey", mixed,
          err("policy_format"))
    p = copy.deepcopy(base)
    p["witnesses"][1]["name"] = "w1"
    parse("name-twice", "witness names are unique", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["groups"][0]["name"] = "w1"
    parse("group-name-taken", "witnesses and groups share one namespace", p, err("policy_format"))
    for label, name in (("none", "none"), ("space", "w 1"), ("non-ascii", "wé"),
                        ("empty", ""), ("feff", "w1\ufeff"), ("too-long", "w" * 129)):
        p = copy.deepcopy(base)
        p["witnesses"][0]["name"] = name
        p["groups"][0]["members"][0] = name
        parse(f"witness-name-{label}", "policy names are [A-Za-z0-9._:/-]{1,128}, not \"none\"",
              p, err("policy_format"))
    for label, k in (("zero", 0), ("above-n", 4), ("string", "2"), ("float", 1.5),
                     ("bool", True), ("negative", -1)):
        p = copy.deepcopy(base)
        p["groups"][0]["k"] = k
        parse(f"k-{label}", "k is an integer with 1 <= k <= n", p, err("policy_format"))
    for label, threshold, expect in (
            ("all", "all", ok_note(witnesses=["w1", "w2", "w3"], quorum="q")),
            ("any", "any", ok_note(witnesses=["w1", "w2", "w3"], quorum="q")),
            ("int", 2, ok_note(witnesses=["w1", "w2", "w3"], quorum="q")),
            ("string-int", "2", err("policy_format")),
            ("most", "most", err("policy_format"))):
        p = copy.deepcopy(base)
        del p["groups"][0]["k"]
        p["groups"][0]["threshold"] = threshold
        parse(f"threshold-{label}", "docs/spec/witness.md: 'threshold' is k, \"all\" or \"any\"",
              p, expect)
    p = copy.deepcopy(base)
    p["groups"][0]["threshold"] = 2
    parse("k-and-threshold", "exactly one of k and threshold", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["groups"][0]["members"] = ["w1", "w1", "w2"]
    parse("member-twice", "a member appears once per group", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["groups"][0]["members"] = []
    p["groups"][0]["k"] = 1
    parse("no-members", "a group has members", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["extra"] = 1
    parse("unknown-field", "unknown policy fields are refused", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["witnesses"][0]["weight"] = 2
    parse("unknown-witness-field", "unknown witness fields are refused", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["groups"][0]["weights"] = [1, 1, 1]
    parse("unknown-group-field", "unknown group fields are refused", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["witnesses"][0]["url"] = ""
    parse("empty-url", "a url, when given, is a non-empty string", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["witnesses"][0]["url"] = "https://w1.example/"
    parse("url", "witness urls are allowed", p, ok_note(witnesses=["w1", "w2", "w3"], quorum="q"))
    p = copy.deepcopy(base)
    p["witnesses"][0]["vkey"] = W1.vkey(0x04, name="w1\ufeff")
    parse("vkey-feff", "a witness key name with U+FEFF", p, err("policy_format"))
    p = copy.deepcopy(base)
    p["witnesses"][0]["vkey"] = W1.vkey(0x01)
    parse("vkey-0x01-converted", "an Ed25519 (0x01) witness key is converted to its 0x04 key",
          p, ok_note(witnesses=["w1", "w2", "w3"], quorum="q"))
    many_keys = [Key(f"many {i}", f"m{i}.example") for i in range(65)]
    parse("65-witnesses", "at most 64 witnesses",
          {"witnesses": [{"name": f"m{i}", "vkey": k.vkey(0x04)} for i, k in enumerate(many_keys)],
           "groups": [], "quorum": "m0"}, err("policy_format"))
    parse("not-an-object", "the policy is a JSON object", ["w1"], err("policy_format"))
    parse("witnesses-not-a-list", "witnesses is a list of objects",
          {**base, "witnesses": {"w1": W1.vkey(0x04)}}, err("policy_format"))

    log_line = LOG.note_line(BODY)
    early, late = T - 600, T + 600
    check("met", "two of three cosigned", base,
          note(BODY, log_line, W1.cosig_line(BODY, T), W2.cosig_line(BODY, T + 1)), None,
          ok_note(counted={"w1": str(T), "w2": str(T + 1)}))
    check("not-met", "one of the two needed", base, note(BODY, log_line, W1.cosig_line(BODY, T)),
          None, err("policy_not_met"))
    check("twice-late-first", "a witness cosigned twice, late line first: every line of a "
          "policy witness is verified and its EARLIEST timestamp counts, whatever the line order",
          base, note(BODY, log_line, W1.cosig_line(BODY, late), W1.cosig_line(BODY, early),
                     W2.cosig_line(BODY, early)), T,
          ok_note(counted={"w1": str(early), "w2": str(early)}))
    check("twice-early-first", "the same, early line first", base,
          note(BODY, log_line, W1.cosig_line(BODY, early), W1.cosig_line(BODY, late),
               W2.cosig_line(BODY, early)), T,
          ok_note(counted={"w1": str(early), "w2": str(early)}))
    check("twice-no-bound", "without not_after the earliest timestamp is reported", base,
          note(BODY, log_line, W1.cosig_line(BODY, late), W1.cosig_line(BODY, early),
               W2.cosig_line(BODY, late)), None,
          ok_note(counted={"w1": str(early), "w2": str(late)}))
    check("late-only", "both cosignatures after not_after", base,
          note(BODY, log_line, W1.cosig_line(BODY, late), W2.cosig_line(BODY, late)), T,
          err("policy_not_met"))
    check("not-after-inclusive", "a timestamp equal to not_after counts", base,
          note(BODY, log_line, W1.cosig_line(BODY, T), W2.cosig_line(BODY, T)), T,
          ok_note(counted={"w1": str(T), "w2": str(T)}))
    check("junk-after-valid", "a junk line under a policy witness's name and key id after its "
          "valid line rejects the whole note", base,
          note(BODY, log_line, W1.cosig_line(BODY, T), W2.cosig_line(BODY, T),
               line(W1.name, junk(W1.key_id(0x04), 72, "wjunk"))), None,
          err("invalid_cosignature"))
    check("junk-before-valid", "the junk line first", base,
          note(BODY, log_line, line(W1.name, junk(W1.key_id(0x04), 72, "wjunk")),
               W1.cosig_line(BODY, T), W2.cosig_line(BODY, T)), None,
          err("invalid_cosignature"))
    check("junk-short", "a 10-byte line under a policy witness's key", base,
          note(BODY, log_line, W1.cosig_line(BODY, T), W2.cosig_line(BODY, T),
               line(W1.name, junk(W1.key_id(0x04), 10, "short"))), None,
          err("invalid_cosignature"))
    check("timestamp-zero", "a policy witness's cosignature with timestamp 0 (tlog-witness: MUST "
          "NOT be 0) rejects the note", base,
          note(BODY, log_line, W1.cosig_line(BODY, 0), W2.cosig_line(BODY, T)), None,
          err("invalid_cosignature"))
    check("quorum-none-zero-cosignatures", "quorum none is refused before any note is read",
          {"witnesses": [], "groups": [], "quorum": "none"}, note(BODY, log_line), None,
          err("policy_format"))
    check("one-key-two-names", "one key listed under two witness names cannot count twice",
          same_key, note(BODY, log_line, W1.cosig_line(BODY, T),
                         W1.cosig_line(BODY, T, name="w2.example")), None,
          err("policy_format"))
    check("rogue-same-name-and-id", "another key's line under w1's name and key id", base,
          note(BODY, log_line, line(W1.name, W1.key_id(0x04) + T.to_bytes(8, "big")
                                    + ROGUE.sk.sign(f"cosignature/v1\ntime {T}\n{BODY}".encode())),
               W2.cosig_line(BODY, T)), None, err("invalid_cosignature"))
    check("unknown-witness-ignored", "lines of keys outside the policy are ignored", base,
          note(BODY, log_line, ROGUE.cosig_line(BODY, T, name="rogue.example"),
               W1.cosig_line(BODY, T), W2.cosig_line(BODY, T)), None,
          ok_note(counted={"w1": str(T), "w2": str(T)}))
    check("witness-name-other-id", "w1's key name with another key id is an unknown key", base,
          note(BODY, log_line, ROGUE.cosig_line(BODY, T), W2.cosig_line(BODY, T)), None,
          err("policy_not_met"))
    check("duplicate-identical", "an identical valid line twice counts once", base,
          note(BODY, log_line, W1.cosig_line(BODY, T), W1.cosig_line(BODY, T)), None,
          err("policy_not_met"))
    check("other-checkpoint", "w2 cosigned another checkpoint", base,
          note(BODY, log_line, W1.cosig_line(BODY, T), W2.cosig_line(OTHER_BODY, T)), None,
          err("invalid_cosignature"))
    check("nested-met", "w1 and one of the inner group", nested,
          note(BODY, log_line, W1.cosig_line(BODY, T), W3.cosig_line(BODY, T)), None,
          ok_note(counted={"w1": str(T), "w3": str(T)}))
    check("nested-not-met", "inner group alone", nested,
          note(BODY, log_line, W2.cosig_line(BODY, T), W3.cosig_line(BODY, T)), None,
          err("policy_not_met"))
    p = copy.deepcopy(base)
    p["witnesses"][0]["vkey"] = W1.vkey(0x01)
    check("vkey-0x01-converted", "a 0x01 witness key counts its cosignature/v1 lines", p,
          note(BODY, log_line, W1.cosig_line(BODY, T), W2.cosig_line(BODY, T)), None,
          ok_note(counted={"w1": str(T), "w2": str(T)}))
    check("malformed-note", "a note without a blank line", base,
          BODY + W1.cosig_line(BODY, T), None, err("malformed"))
    return v


# -- trust.json ---------------------------------------------------------------------------


def trusts() -> list[dict[str, Any]]:
    policy = {"witnesses": [{"name": n, "vkey": k.vkey(0x04)}
                            for n, k in (("w1", W1), ("w2", W2), ("w3", W3))],
              "groups": [{"name": "q", "k": 2, "members": ["w1", "w2", "w3"]}], "quorum": "q"}
    base = {"log": {"origin": ORIGIN, "vkey": LOG.vkey()}, "witness_policy": policy,
            "beacons": {}, "margin_seconds": 60}
    v: list[dict[str, Any]] = []

    def add(name: str, why: str, trust: Any, expect: dict[str, Any]) -> None:
        v.append({"name": name, "why": why, "op": "parse_trust", "trust": trust,
                  "expect": expect})

    add("ok", "a minimal trust.json", base, ok_note(origin=ORIGIN, margin_seconds=60))
    t = copy.deepcopy(base)
    del t["margin_seconds"]
    add("margin-default", "margin_seconds defaults to 60 (DESIGN §2)", t,
        ok_note(origin=ORIGIN, margin_seconds=60))
    for label, margin, expect in (
            ("zero", 0, ok_note(origin=ORIGIN, margin_seconds=0)),
            ("negative", -1, err("trust_error", "margin_seconds")),
            ("float", 1.5, err("trust_error", "margin_seconds")),
            ("string", "60", err("trust_error", "margin_seconds")),
            ("bool", True, err("trust_error", "margin_seconds")),
            ("null", None, err("trust_error", "margin_seconds")),
            ("2^53", 2**53, err("trust_error", "margin_seconds")),
            ("2^53-1", 2**53 - 1, ok_note(origin=ORIGIN, margin_seconds=2**53 - 1))):
        t = copy.deepcopy(base)
        t["margin_seconds"] = margin
        add(f"margin-{label}", "margin_seconds is an integer in [0, 2^53)", t, expect)
    t = copy.deepcopy(base)
    del t["log"]["origin"]
    add("no-origin", "log.origin is required", t, err("trust_error", "origin"))
    t = copy.deepcopy(base)
    t["log"]["origin"] = ""
    add("empty-origin", "log.origin is non-empty", t, err("trust_error", "origin"))
    t = copy.deepcopy(base)
    del t["log"]["vkey"]
    add("no-log-key", "log.vkey or log.vkeys is required", t, err("trust_error"))
    t = copy.deepcopy(base)
    del t["log"]["vkey"]
    t["log"]["vkeys"] = []
    add("empty-vkeys", "log.vkeys is non-empty", t, err("trust_error"))
    t = copy.deepcopy(base)
    del t["log"]["vkey"]
    t["log"]["vkeys"] = [LOG.vkey(), LOG2.vkey()]
    add("vkeys-rotation", "two log keys (rotation)", t, ok_note(origin=ORIGIN, margin_seconds=60))
    t = copy.deepcopy(base)
    t["log"]["vkey"] = LOG.vkey(0x04)
    add("log-key-type-04", "log keys are Ed25519 type 0x01", t, err("trust_error"))
    t = copy.deepcopy(base)
    t["log"]["vkey"] = LOG.vkey(name="log\ufeff")
    add("log-key-feff", "U+FEFF in the log key name", t, err("trust_error"))
    t = copy.deepcopy(base)
    t["log"]["vkey"] = LOG.vkey().replace(LOG.key_id(0x01).hex(), "00000000")
    add("log-key-wrong-id", "the log key id must match", t, err("trust_error"))
    t = copy.deepcopy(base)
    del t["witness_policy"]
    add("no-policy", "witness_policy is required", t, err("trust_error"))
    t = copy.deepcopy(base)
    t["witness_policy"] = {"witnesses": [], "groups": [], "quorum": "none"}
    add("policy-quorum-none", "a trust.json whose policy needs no witness", t,
        err("trust_error", "none"))
    t = copy.deepcopy(base)
    t["witness_policy"]["witnesses"][1]["vkey"] = W1.vkey(0x04, name="w2.example")
    add("policy-one-key-two-names", "one witness key under two names", t, err("trust_error"))
    t = copy.deepcopy(base)
    t["beacons"] = []
    add("beacons-list", "beacons is an object keyed by chain hash", t, err("trust_error"))
    add("not-an-object", "trust.json is an object", [base], err("trust_error"))
    return v


# -- announces.json -----------------------------------------------------------------------


def announce_base() -> dict[str, Any]:
    return {
        "type": "draw.announce", "v": 1, "draw_id": "ADV-1", "title": "adversarial",
        "authority": "test", "kind": "routine", "algorithm": "draw-v1",
        "period": {"from": "2026-03-01", "to": "2026-03-31"},
        "units": {"snapshot": "units-1", "root": "ab" * 32, "count": 2},
        "inspectors": {"snapshot": "inspectors-1", "root": "cd" * 32, "count": 3},
        "strata": [{"name": "all", "match": {}, "quota": {"count": 1}}],
        "exclusions": [{"unit_id": "U-2", "reason": "inspected last month"}],
        "teams": {"assistants": 0},
        "beacon": {"scheme": "bls-unchained-g1-rfc9380", "chain_hash": "52db9ba70e0cc0f6eaf78"
                   "03dd07447a1f5477735fd3f661792ba94600c84e971", "round": 20000000,
                   "round_time": "2026-02-20T10:00:00Z"},
        "supersedes": None,
    }


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for p in parents:
        obj = obj[p]
    if value is _DELETE:
        del obj[last]
    else:
        obj[last] = value


_DELETE = object()


def announces() -> list[dict[str, Any]]:
    v: list[dict[str, Any]] = []

    def add(name: str, why: str, changes: dict[str, Any], expect: dict[str, Any]) -> None:
        a = announce_base()
        for path, value in changes.items():
            _set(a, path, value)
        v.append({"name": name, "why": why, "op": "parse_announce", "announce": a,
                  "expect": expect})

    def bad(field: str) -> dict[str, Any]:
        return {"result": "error", "field": field}

    ok = {"result": "ok"}
    add("ok", "a valid announce", {}, ok)
    for label, title, expect in (("empty", "", bad("title")), ("spaces", "  \t", bad("title")),
                                 ("ideographic-space", "\u3000", bad("title")),
                                 ("feff-only", "\ufeff", bad("title")),
                                 ("nbsp-only", "\u00a0", bad("title")),
                                 ("non-nfc", "Cafe\u0301", bad("title")),
                                 ("lone-surrogate", "\ud800", bad("title")),
                                 ("number", 5, bad("title")),
                                 ("chinese", "抽查", ok)):
        add(f"title-{label}", "titles are non-blank NFC strings", {"title": title}, expect)
    add("authority-blank", "authority is non-blank", {"authority": " "}, bad("authority"))
    add("exclusion-reason-empty", "an exclusion gives a reason",
        {"exclusions": [{"unit_id": "U-2", "reason": ""}]}, bad("exclusions[0].reason"))
    add("exclusion-extra-field", "exclusions are {unit_id, reason}",
        {"exclusions": [{"unit_id": "U-2", "reason": "x", "by": "me"}]},
        bad("exclusions[0].by"))
    add("v-true", "v is the integer 1, not true", {"v": True}, bad("v"))
    add("v-2", "v is 1", {"v": 2}, bad("v"))
    add("unknown-field", "unknown fields are refused", {"note": "x"}, bad("note"))
    add("missing-beacon", "beacon is required", {"beacon": _DELETE}, bad("beacon"))
    add("draw-id-non-ascii", "ids are ASCII", {"draw_id": "抽查-1"}, bad("draw_id"))
    add("draw-id-65", "ids are at most 64 characters", {"draw_id": "D" * 65}, bad("draw_id"))
    for label, value in (("feb-30", "2026-02-30"), ("month-13", "2026-13-01"),
                         ("year-0", "0000-01-01"), ("short", "2026-3-01"),
                         ("slashes", "2026/03/01")):
        add(f"period-from-{label}", "period dates are calendar dates YYYY-MM-DD",
            {"period.from": value}, bad("period.from"))
    add("period-leap-day", "2028-02-29 is a date", {"period.from": "2028-02-29",
                                                     "period.to": "2028-03-31"}, ok)
    add("period-reversed", "from after to", {"period.from": "2026-04-01"}, bad("period"))
    add("period-extra", "period is {from, to}", {"period.tz": "UTC"}, bad("period.tz"))
    add("quota-float", "no floats in canonical JSON", {"strata": [
        {"name": "all", "match": {}, "quota": {"count": 1.5}}]}, bad("strata[0].quota.count"))
    add("quota-2^53", "integers are below 2^53", {"strata": [
        {"name": "all", "match": {}, "quota": {"count": 2**53}}]}, bad("strata[0].quota.count"))
    add("ratio-leading-zero", "ratios are canonical decimals", {"strata": [
        {"name": "all", "match": {}, "quota": {"ratio": "01/10"}}]}, bad("strata[0].quota.ratio"))
    add("match-object", "match values are scalars", {"strata": [
        {"name": "all", "match": {"tags": [{"a": 1}]}, "quota": {"all": True}}]},
        bad("strata[0].match.tags[0]"))
    add("teams-without-inspectors", "teams need an inspectors snapshot",
        {"inspectors": _DELETE}, bad("inspectors"))
    add("units-root-uppercase", "roots are lowercase hex", {"units.root": "AB" * 32},
        bad("units.root"))
    add("units-extra", "snapshot refs are {snapshot, root, count}", {"units.publish": "x"},
        bad("units.publish"))
    # The beacon part (the browser checked none of it).
    add("beacon-unknown-scheme", "the beacon scheme is a known drand scheme",
        {"beacon.scheme": "bls-unchained-on-g1"}, bad("beacon.scheme"))
    add("beacon-chained-scheme", "drand mainnet's chained scheme",
        {"beacon.scheme": "pedersen-bls-chained"}, ok)
    add("beacon-chain-hash-upper", "chain hashes are lowercase hex",
        {"beacon.chain_hash": "52DB9BA70E0CC0F6EAF7803DD07447A1F5477735FD3F661792BA94600C84E971"},
        bad("beacon.chain_hash"))
    add("beacon-round-zero", "rounds start at 1", {"beacon.round": 0}, bad("beacon.round"))
    add("beacon-round-string", "the round is an integer", {"beacon.round": "20000000"},
        bad("beacon.round"))
    for label, value in (("month-13", "2026-13-01T00:00:00Z"), ("hour-24", "2026-02-20T24:00:00Z"),
                         ("offset", "2026-02-20T10:00:00+08:00"), ("fraction",
                                                                   "2026-02-20T10:00:00.5Z"),
                         ("lowercase-z", "2026-02-20T10:00:00z"),
                         ("second-60", "2026-02-20T10:00:60Z"),
                         ("feb-29-2026", "2026-02-29T10:00:00Z")):
        add(f"beacon-round-time-{label}", "round_time is RFC 3339 UTC YYYY-MM-DDTHH:MM:SSZ",
            {"beacon.round_time": value}, bad("beacon.round_time"))
    add("beacon-local-string", "local is a boolean", {"beacon.local": "yes"}, bad("beacon.local"))
    add("beacon-local-true", "local: true marks the development beacon", {"beacon.local": True},
        ok)
    add("beacon-extra-field", "beacon fields are fixed", {"beacon.previous_signature": "00"},
        bad("beacon.previous_signature"))
    add("beacon-missing-round-time", "round_time is required", {"beacon.round_time": _DELETE},
        bad("beacon.round_time"))
    add("supersedes-bad-id", "supersedes is a draw id or null", {"supersedes": "no such id!"},
        bad("supersedes"))
    add("supersedes-empty", "supersedes is a draw id or null", {"supersedes": ""},
        bad("supersedes"))
    add("supersedes-id", "supersedes names an earlier draw", {"supersedes": "ADV-0"}, ok)
    add("recusal-triple", "recusals are pairs", {"recusals": [["I-1", "U-1", "x"]]},
        bad("recusals[0]"))
    add("zone-empty-brigade", "zones list brigade names", {"zones": {"z1": [""]}},
        bad("zones.z1"))
    # The working-day calendar the schedule uses (docs/spec/schedule.md); older announces
    # have none and still verify ("ok" above).
    cal = {"sha256": "ef" * 32, "years": [2026, 2027], "provisional": [2027]}
    add("calendar-ok", "calendar = {sha256, years, provisional}", {"calendar": cal}, ok)
    add("calendar-official", "no provisional year", {"calendar": {**cal, "provisional": []}},
        ok)
    add("calendar-sha-upper", "the calendar hash is lowercase hex",
        {"calendar": {**cal, "sha256": "EF" * 32}}, bad("calendar.sha256"))
    add("calendar-sha-short", "the calendar hash is SHA-256",
        {"calendar": {**cal, "sha256": "ef" * 31}}, bad("calendar.sha256"))
    add("calendar-years-empty", "a schedule uses at least one year",
        {"calendar": {**cal, "years": [], "provisional": []}}, bad("calendar.years"))
    add("calendar-years-unsorted", "years are ascending and unique",
        {"calendar": {**cal, "years": [2027, 2026]}}, bad("calendar.years[1]"))
    add("calendar-years-twice", "years are ascending and unique",
        {"calendar": {**cal, "years": [2026, 2026]}}, bad("calendar.years[1]"))
    add("calendar-year-string", "years are integers",
        {"calendar": {**cal, "years": ["2026"]}}, bad("calendar.years[0]"))
    add("calendar-year-bool", "years are integers, not booleans",
        {"calendar": {**cal, "years": [True]}}, bad("calendar.years[0]"))
    add("calendar-year-10000", "years have four digits",
        {"calendar": {**cal, "years": [10000], "provisional": []}}, bad("calendar.years[0]"))
    add("calendar-provisional-outside", "provisional years are years of the schedule",
        {"calendar": {**cal, "provisional": [2028]}}, bad("calendar.provisional[0]"))
    add("calendar-missing-provisional", "all three fields are required",
        {"calendar": {"sha256": cal["sha256"], "years": [2026]}}, bad("calendar.provisional"))
    add("calendar-extra-field", "calendar fields are fixed",
        {"calendar": {**cal, "status": "official"}}, bad("calendar.status"))
    add("calendar-null", "calendar is an object when present", {"calendar": None},
        bad("calendar"))
    return v


def eligibility() -> list[dict[str, Any]]:
    """Team eligibility through the whole draw: one unit, one lead slot, one candidate."""
    v: list[dict[str, Any]] = []
    units = [{"id": "U-1", "name": "unit", "brigade": "b1", "status": "active"}]
    for label, cert, eligible in (("valid", "2026-12-31", True),
                                  ("last-day-of-period", "2026-03-31", True),
                                  ("expired", "2026-03-30", False),
                                  ("ten-chars-not-a-date", "zzzzzzzzzz", False),
                                  ("month-99", "2026-99-99", False),
                                  ("feb-30", "2026-02-30", False),
                                  ("year-0", "0000-01-01", False),
                                  ("year-9999-dec-31", "9999-12-31", True),
                                  ("datetime", "2026-12-31T00:00:00Z", False),
                                  ("number", 20261231, False),
                                  ("missing", None, False)):
        person: dict[str, Any] = {"id": "I-1", "name": "inspector", "brigade": "b1",
                                  "roles": ["lead"], "status": "active"}
        if cert is not None:
            person["cert_valid_until"] = cert
        a = announce_base()
        a["exclusions"] = []
        a["units"]["count"] = 1
        a["inspectors"]["count"] = 1
        v.append({"name": f"cert-{label}",
                  "why": "draw-v1 §5.7: cert_valid_until >= period.to, and only a real "
                         "YYYY-MM-DD calendar date qualifies",
                  "op": "draw_team", "announce": a, "units": units, "inspectors": [person],
                  "randomness": hashlib.sha256(b"adversarial randomness").hexdigest(),
                  "expect": {"result": "ok",
                             "members": [["lead", "I-1"]] if eligible else [],
                             "unfilled": [] if eligible else ["lead"]}})
    return v


FILES = {
    "notes.json": ("Signed notes and checkpoints (C2SP signed-note v1.0.0, tlog-checkpoint "
                   "v1.0.0)", notes),
    "cosignatures.json": ("Single cosignature/v1 lines and cosigner keys (C2SP "
                          "tlog-cosignature v1.0.1, tlog-witness HEAD)", cosignatures),
    "policies.json": ("Witness policies in trust.json's JSON shape and their evaluation "
                      "(docs/spec/witness.md §5, docs/spec/portal-js.md)", policies),
    "trust.json": ("trust.json field checks (docs/spec/portal-js.md 'trust.json shapes')",
                   trusts),
    "announces.json": ("draw.announce structure (DESIGN §4) and draw-v1 team eligibility "
                       "(§5 step 7)", lambda: announces() + eligibility()),
}


def build() -> dict[str, str]:
    out = {}
    for filename, (title, make) in FILES.items():
        doc = {
            "title": title,
            "generated_by": "python -m tests.gen_adversarial_vectors",
            "conventions": (
                "Each vector: name, why, op, inputs, and ONE expected verdict `expect`: "
                "{result: ok, ...} or {result: <error kind>, message?: <fragment>}. "
                "Keys come from SHA-256 of fixed labels; timestamps are decimal strings. "
                "A `note` is a string, {b64} or {concat: [string | {repeat, times}]}. "
                "See tests/vectors/README.md."),
            "vectors": make(),
        }
        names = [case["name"] for case in doc["vectors"]]
        assert len(set(names)) == len(names), f"{filename}: duplicate vector names"
        out[filename] = json.dumps(doc, ensure_ascii=True, indent=1) + "\n"
    return out


def main(argv: list[str]) -> int:
    files = build()
    if "--check" in argv:
        stale = [n for n, text in files.items() if (OUT / n).read_text() != text]
        if stale:
            print("stale:", ", ".join(stale))
            return 1
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
