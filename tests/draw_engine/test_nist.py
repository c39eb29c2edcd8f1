"""NIST Beacon 2.0: the three recorded chain-1 pulses verify; tampering and broken chains fail."""

from __future__ import annotations

import copy
import datetime
import hashlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from draw_engine.beacon_errors import BeaconFormatError, PulseVerificationError
from draw_engine.nist import (
    certificate_id,
    check_list_value,
    check_precommitment,
    check_pulse_chain,
    load_certificate,
    parse_pulse,
    pulse_signature_input,
    verify_pulse,
    verify_pulses,
)
from tests.conftest import VECTORS, load_vectors

DATA = load_vectors("nist/pulses_chain1.json")
CERT = load_certificate((VECTORS / "nist" / DATA["certificate_file"]).read_bytes())
RAW = DATA["pulses"]


def pulses() -> list[Any]:
    return [parse_pulse(p) for p in RAW]


@pytest.mark.parametrize("index", range(len(RAW)))
def test_recorded_pulses_verify(index: int) -> None:
    pulse = parse_pulse(RAW[index])
    output = verify_pulse(pulse, CERT)
    assert output.hex().upper() == RAW[index]["outputValue"]
    assert output == hashlib.sha512(pulse_signature_input(pulse) + pulse.signature_value).digest()


def test_there_are_three_pulses_and_the_certificate_id_matches() -> None:
    assert [p["pulseIndex"] for p in RAW] == [1, 54609, 54610]
    assert certificate_id(CERT).hex() == RAW[0]["certificateId"].lower()


def test_chaining_precommitment_and_year_value() -> None:
    first, a, b = pulses()
    check_pulse_chain(a, b)
    check_precommitment(a, b)
    check_list_value(b, "year", first)
    assert len(verify_pulses([b, first, a], CERT)) == 3


def test_broken_chaining_is_refused() -> None:
    first, a, b = pulses()
    with pytest.raises(PulseVerificationError, match="does not follow"):
        check_pulse_chain(first, b)
    with pytest.raises(PulseVerificationError, match="precommitmentValue"):
        check_precommitment(b, a)
    with pytest.raises(PulseVerificationError, match="'year'"):
        check_list_value(b, "year", a)
    raw = copy.deepcopy(RAW[2])
    raw["listValues"][0]["value"] = RAW[0]["outputValue"]
    with pytest.raises(PulseVerificationError, match="'previous'") as info:
        check_pulse_chain(a, parse_pulse(raw))
    assert info.value.expected == RAW[1]["outputValue"].lower()


def _flip(hex_text: str) -> str:
    return hex_text[:-1] + format(int(hex_text[-1], 16) ^ 1, "X")


TAMPERS = {
    "uri": lambda p: p.update(uri=p["uri"] + "0"),
    "version": lambda p: p.update(version="Version 2.1"),
    "period": lambda p: p.update(period=60001),
    "pulseIndex": lambda p: p.update(pulseIndex=p["pulseIndex"] + 1),
    "chainIndex": lambda p: p.update(chainIndex=2),
    "timeStamp": lambda p: p.update(timeStamp=p["timeStamp"].replace(":00.000Z", ":01.000Z")),
    "localRandomValue": lambda p: p.update(localRandomValue=_flip(p["localRandomValue"])),
    "external.value": lambda p: p["external"].update(value=_flip(p["external"]["value"])),
    "external.statusCode": lambda p: p["external"].update(statusCode=1),
    "listValues.hour": lambda p: p["listValues"][1].update(
        value=_flip(p["listValues"][1]["value"])
    ),
    "precommitmentValue": lambda p: p.update(precommitmentValue=_flip(p["precommitmentValue"])),
    "statusCode": lambda p: p.update(statusCode=1),
    "signatureValue": lambda p: p.update(signatureValue=_flip(p["signatureValue"])),
    "outputValue": lambda p: p.update(outputValue=_flip(p["outputValue"])),
    "certificateId": lambda p: p.update(certificateId=_flip(p["certificateId"])),
}


@pytest.mark.parametrize("field", sorted(TAMPERS))
def test_tampered_field_fails(field: str) -> None:
    raw = copy.deepcopy(RAW[1])
    TAMPERS[field](raw)
    with pytest.raises(PulseVerificationError):
        verify_pulse(parse_pulse(raw), CERT)


def test_list_value_uri_is_not_signed() -> None:
    # Documented behaviour of the 2.0 format: the uri of a list value is not in the input.
    raw = copy.deepcopy(RAW[1])
    raw["listValues"][0]["uri"] = "https://example.org/other"
    verify_pulse(parse_pulse(raw), CERT)


def _self_signed(not_before: datetime.datetime) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not nist")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_before)
        .not_valid_after(not_before + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )


def test_other_certificate_is_refused() -> None:
    other = _self_signed(datetime.datetime(2010, 1, 1, tzinfo=datetime.UTC))
    with pytest.raises(PulseVerificationError, match="certificateId"):
        verify_pulse(pulses()[1], other)
    # Even when the pulse names the other certificate, its RSA signature fails.
    raw = copy.deepcopy(RAW[1]) | {"certificateId": certificate_id(other).hex()}
    with pytest.raises(PulseVerificationError, match="RSA signature"):
        verify_pulse(parse_pulse(raw), other)


def test_pulse_outside_certificate_validity_is_refused() -> None:
    raw = copy.deepcopy(RAW[1]) | {"timeStamp": "2019-02-01T00:00:00.000Z"}
    with pytest.raises(PulseVerificationError, match="validity"):
        verify_pulse(parse_pulse(raw), CERT)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pulseIndex": -1}, "pulseIndex"),
        ({"pulseIndex": True}, "pulseIndex"),
        ({"localRandomValue": "XYZ"}, "localRandomValue"),
        ({"localRandomValue": "ABC"}, "localRandomValue"),
        ({"timeStamp": "2018-08-30 17:43:00"}, "timeStamp"),
        ({"external": None}, "external"),
        ({"listValues": {}}, "listValues"),
        ({"listValues": [{"uri": None, "type": "week", "value": "00"}]}, "unknown type"),
        ({"uri": ""}, "uri"),
    ],
)
def test_malformed_pulse_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(BeaconFormatError, match=message):
        parse_pulse(copy.deepcopy(RAW[1]) | change)


def test_malformed_certificate_is_refused() -> None:
    with pytest.raises(BeaconFormatError, match="certificate"):
        load_certificate(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
