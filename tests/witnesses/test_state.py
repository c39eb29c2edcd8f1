"""The pure witness state transition, including the litewitness add-checkpoint sequence."""

from __future__ import annotations

import re

import pytest

from tests.conftest import load_vectors
from tests.witnesses.support import MemoryLog
from witnesses.cosignature import Cosigner, verify_cosignature
from witnesses.errors import (
    AddCheckpointError,
    MalformedRequestError,
    RootMismatchError,
)
from witnesses.server import WitnessService, status_for
from witnesses.state import (
    AddCheckpointRequest,
    LogConfig,
    format_add_checkpoint_request,
    parse_add_checkpoint_request,
)
from witnesses.store import MemoryWitnessState

PROTOCOL = load_vectors("tlog/cosignatures.json")["witness_protocol"]
SEQ = PROTOCOL["litewitness_add_checkpoint_sequence"]
EXAMPLE = PROTOCOL["c2sp_add_checkpoint_example"]


def _status(service: WitnessService, body: bytes) -> tuple[int, str]:
    try:
        return 200, service.add_checkpoint(body)
    except AddCheckpointError as e:
        return status_for(e), str(e)


def test_litewitness_sequence_with_head_statuses() -> None:
    """Replays torchwood's add-checkpoint.hurl against our witness (own key, same log key).

    Expected statuses are the spec-HEAD analysis in the vectors, except step 1: its log
    signature is non-canonical base64 (non-zero padding bits), which our strict note
    parser rejects as malformed (400) where litewitness says 403."""
    origin = SEQ["steps"][0]["request_body"].split("\n")[2]
    cosigner = Cosigner("example.com/witness", b"\x01" * 32)
    service = WitnessService(
        cosigner,
        {origin: LogConfig(origin, (SEQ["setup"]["log_vkey_COMPUTED"],))},
        MemoryWitnessState(),
        clock=lambda: 1_700_000_000.0,
    )
    for step in SEQ["steps"]:
        want = step["spec_HEAD_expected_status_ANALYSIS"]
        if step["step"] == 1:
            want = 400
        status, text = _status(service, step["request_body"].encode())
        assert status == want, (step["step"], step["why"], text)
        if status == 200:
            note = step["request_body"].split("\n\n", 1)[1].encode()
            body = note[: note.index(b"\n\n") + 1]
            assert verify_cosignature(cosigner.verifier_key, body, text) == 1_700_000_000
        if status == 409:
            size = re.search(r"(\d+)", step["litewitness_asserts"]).group(1)
            assert text.endswith(f"latest cosigned size {size}")
    assert service.state.latest(origin).tree_size == 5  # "witnessctl list-logs shows size 5"


def test_c2sp_example_request_parses_and_round_trips() -> None:
    body = EXAMPLE["request_body"].encode()
    req = parse_add_checkpoint_request(body)
    parsed = EXAMPLE["parsed_request_COMPUTED"]
    assert req.old_size == parsed["old_size"]
    assert len(req.proof) == len(parsed["proof_lines"])
    assert req.checkpoint.decode() == parsed["checkpoint"]
    assert format_add_checkpoint_request(req) == body


@pytest.mark.parametrize(
    "bad",
    [b"", b"old 1\n", b"old -1\n\nx", b"old +1\n\nx", b"old 1 \n\nx", b"Old 1\n\nx",
     b"old 00\n\nx", b"old 9223372036854775808\n\nx", b"old 1\nAAAA\n\nx",
     b"old 1\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx"],
)
def test_malformed_requests(bad: bytes) -> None:
    with pytest.raises(MalformedRequestError):
        parse_add_checkpoint_request(bad)


def test_in_process_rules_and_state_unchanged_on_refusal() -> None:
    log = MemoryLog("example.com/pure")
    state = MemoryWitnessState()
    service = WitnessService(Cosigner("w.example", b"\x02" * 32),
                             {log.origin: LogConfig(log.origin, (log.vkey,))}, state,
                             clock=lambda: 1_800_000_000.0)
    log.append(4)
    req = AddCheckpointRequest(0, (), log.checkpoint())
    assert _status(service, format_add_checkpoint_request(req))[0] == 200
    before = state.latest(log.origin)
    fork = AddCheckpointRequest(4, (), log.forged_checkpoint(4))
    with pytest.raises(RootMismatchError) as e:
        service.add_checkpoint(format_add_checkpoint_request(fork))
    assert e.value.latest_root == log.root(4)
    assert state.latest(log.origin) == before
