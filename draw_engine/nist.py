"""NIST Randomness Beacon 2.0 pulse verification (pure, given the certificate).

Spec: docs/spec/beacons.md §NIST, after NISTIR 8213 (draft, 2019) as quoted by
grempe/nist-randomness-beacon `index.js` @5b8e7895; the serialization rule is
tests/vectors/nist/pulses_chain1.json `signature_input_rule`:

    u32be(len(uri))||uri || u32be(len(version))||version || u32be(cipherSuite)
    || u32be(period) || u32be(len(certificateId))||certificateId
    || u64be(chainIndex) || u64be(pulseIndex) || u32be(len(timeStamp))||timeStamp
    || u32be(len(localRandomValue))||localRandomValue
    || u32be(len(external.sourceId))||external.sourceId || u32be(external.statusCode)
    || u32be(len(external.value))||external.value
    || for each listValues entry in order: u32be(len(value))||value
    || u32be(len(precommitmentValue))||precommitmentValue || u32be(statusCode)

(hex fields hex-decoded, strings UTF-8). The signature is RSA PKCS#1 v1.5 with
SHA-512 under the certificate's key; outputValue = SHA-512(input || signature);
certificateId = SHA-512(DER certificate). The pulse's timeStamp must lie inside
the certificate's validity (a time taken from the pulse, not from a clock).

Left out: fetching pulses or certificates, X.509 chain validation up to a CA
(the certificate is pinned by its id instead), cipher suites other than 0.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from draw_engine.beacon_errors import BeaconFormatError, PulseVerificationError

VERSION = "Version 2.0"
CIPHER_SUITE = 0  # SHA-512 + RSA PKCS#1 v1.5
LIST_VALUE_TYPES = ("previous", "hour", "day", "month", "year")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@dataclass(frozen=True)
class ListValue:
    uri: str | None  # null in the first pulse of a chain; not part of the signed input
    type: str
    value: bytes


@dataclass(frozen=True)
class Pulse:
    """One pulse, with hex fields decoded. Names follow the NIST JSON in snake case."""

    uri: str
    version: str
    cipher_suite: int
    period: int
    certificate_id: bytes
    chain_index: int
    pulse_index: int
    time_stamp: str
    local_random_value: bytes
    external_source_id: bytes
    external_status_code: int
    external_value: bytes
    list_values: tuple[ListValue, ...]
    precommitment_value: bytes
    status_code: int
    signature_value: bytes
    output_value: bytes

    def list_value(self, kind: str) -> bytes:
        for item in self.list_values:
            if item.type == kind:
                return item.value
        raise BeaconFormatError(f"pulse {self.pulse_index}: no listValues entry of type {kind!r}")


def _hex(obj: Mapping[str, object], key: str) -> bytes:
    value = obj.get(key)
    if not isinstance(value, str) or _HEX.fullmatch(value) is None:
        raise BeaconFormatError(f"{key}: expected non-empty hex with an even number of digits")
    return bytes.fromhex(value)


def _int(obj: Mapping[str, object], key: str, bits: int) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise BeaconFormatError(f"{key}: expected an unsigned {bits}-bit integer, got {value!r}")
    return value


def _str(obj: Mapping[str, object], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise BeaconFormatError(f"{key}: expected a non-empty string")
    return value


def parse_pulse(obj: object) -> Pulse:
    """A pulse object as served by beacon.nist.gov/beacon/2.0 (the `pulse` member)."""
    if not isinstance(obj, Mapping):
        raise BeaconFormatError("pulse: expected a JSON object")
    external = obj.get("external")
    if not isinstance(external, Mapping):
        raise BeaconFormatError("external: expected an object")
    raw_list = obj.get("listValues")
    if not isinstance(raw_list, list):
        raise BeaconFormatError("listValues: expected an array")
    items = []
    for n, item in enumerate(raw_list):
        if not isinstance(item, Mapping):
            raise BeaconFormatError(f"listValues[{n}]: expected an object")
        kind = _str(item, "type")
        if kind not in LIST_VALUE_TYPES:
            raise BeaconFormatError(f"listValues[{n}].type: unknown type {kind!r}")
        uri = item.get("uri")
        if uri is not None and (not isinstance(uri, str) or not uri):
            raise BeaconFormatError(f"listValues[{n}].uri: expected a non-empty string or null")
        items.append(ListValue(uri=uri, type=kind, value=_hex(item, "value")))
    time_stamp = _str(obj, "timeStamp")
    if _TIMESTAMP.fullmatch(time_stamp) is None:
        raise BeaconFormatError(f"timeStamp: expected YYYY-MM-DDTHH:MM:SS.mmmZ, got {time_stamp!r}")
    return Pulse(
        uri=_str(obj, "uri"),
        version=_str(obj, "version"),
        cipher_suite=_int(obj, "cipherSuite", 32),
        period=_int(obj, "period", 32),
        certificate_id=_hex(obj, "certificateId"),
        chain_index=_int(obj, "chainIndex", 64),
        pulse_index=_int(obj, "pulseIndex", 64),
        time_stamp=time_stamp,
        local_random_value=_hex(obj, "localRandomValue"),
        external_source_id=_hex(external, "sourceId"),
        external_status_code=_int(external, "statusCode", 32),
        external_value=_hex(external, "value"),
        list_values=tuple(items),
        precommitment_value=_hex(obj, "precommitmentValue"),
        status_code=_int(obj, "statusCode", 32),
        signature_value=_hex(obj, "signatureValue"),
        output_value=_hex(obj, "outputValue"),
    )


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def pulse_signature_input(pulse: Pulse) -> bytes:
    """The bytes NIST signs (everything but signatureValue and outputValue)."""
    # SPEC(NIST beacon 2.0, signature_input_rule): the field order and prefixes below.
    parts = [
        _field(pulse.uri.encode("utf-8")),
        _field(pulse.version.encode("utf-8")),
        pulse.cipher_suite.to_bytes(4, "big"),
        pulse.period.to_bytes(4, "big"),
        _field(pulse.certificate_id),
        pulse.chain_index.to_bytes(8, "big"),
        pulse.pulse_index.to_bytes(8, "big"),
        _field(pulse.time_stamp.encode("utf-8")),
        _field(pulse.local_random_value),
        _field(pulse.external_source_id),
        pulse.external_status_code.to_bytes(4, "big"),
        _field(pulse.external_value),
        *(_field(item.value) for item in pulse.list_values),
        _field(pulse.precommitment_value),
        pulse.status_code.to_bytes(4, "big"),
    ]
    return b"".join(parts)


def load_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise BeaconFormatError(f"NIST certificate: not a PEM X.509 certificate ({exc})") from exc


def certificate_id(certificate: x509.Certificate) -> bytes:
    """SHA-512 of the DER certificate, as in a pulse's certificateId."""
    return hashlib.sha512(certificate.public_bytes(Encoding.DER)).digest()


def verify_pulse(pulse: Pulse, certificate: x509.Certificate) -> bytes:
    """Verify one pulse against its certificate; return the outputValue."""
    index = pulse.pulse_index
    if pulse.version != VERSION or pulse.cipher_suite != CIPHER_SUITE:
        raise PulseVerificationError(
            f"unsupported version/cipherSuite {pulse.version!r}/{pulse.cipher_suite}",
            pulse_index=index,
        )
    cert_id = certificate_id(certificate)
    if pulse.certificate_id != cert_id:
        raise PulseVerificationError(
            "certificateId is not SHA-512 of this certificate",
            pulse_index=index,
            expected=pulse.certificate_id.hex(),
            computed=cert_id.hex(),
        )
    stamp = datetime.strptime(pulse.time_stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    if not certificate.not_valid_before_utc <= stamp <= certificate.not_valid_after_utc:
        raise PulseVerificationError(
            f"timeStamp {pulse.time_stamp} is outside the certificate's validity "
            f"({certificate.not_valid_before_utc.isoformat()} .. "
            f"{certificate.not_valid_after_utc.isoformat()})",
            pulse_index=index,
        )
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise PulseVerificationError("certificate key is not RSA", pulse_index=index)
    message = pulse_signature_input(pulse)
    try:
        # SPEC(NIST beacon 2.0, cipherSuite 0): RSA PKCS#1 v1.5 with SHA-512.
        public_key.verify(pulse.signature_value, message, padding.PKCS1v15(), hashes.SHA512())
    except InvalidSignature as exc:
        raise PulseVerificationError("RSA signature does not verify", pulse_index=index) from exc
    # SPEC(NIST beacon 2.0): outputValue = SHA-512(signature input || signatureValue).
    output = hashlib.sha512(message + pulse.signature_value).digest()
    if output != pulse.output_value:
        raise PulseVerificationError(
            "outputValue is not SHA-512(signature input || signatureValue)",
            pulse_index=index,
            expected=pulse.output_value.hex(),
            computed=output.hex(),
        )
    return output


def check_pulse_chain(previous: Pulse, pulse: Pulse) -> None:
    """`pulse` follows `previous` in the same chain and names its outputValue."""
    if pulse.chain_index != previous.chain_index or pulse.pulse_index != previous.pulse_index + 1:
        raise PulseVerificationError(
            f"does not follow pulse {previous.chain_index}/{previous.pulse_index}",
            pulse_index=pulse.pulse_index,
        )
    claimed = pulse.list_value("previous")
    if claimed != previous.output_value:
        raise PulseVerificationError(
            "listValues 'previous' is not the previous pulse's outputValue",
            pulse_index=pulse.pulse_index,
            expected=previous.output_value.hex(),
            computed=claimed.hex(),
        )


def check_precommitment(pulse: Pulse, next_pulse: Pulse) -> None:
    """`pulse.precommitmentValue` = SHA-512(next pulse's localRandomValue)."""
    computed = hashlib.sha512(next_pulse.local_random_value).digest()
    if pulse.precommitment_value != computed:
        raise PulseVerificationError(
            "precommitmentValue is not SHA-512 of the next pulse's localRandomValue",
            pulse_index=pulse.pulse_index,
            expected=pulse.precommitment_value.hex(),
            computed=computed.hex(),
        )


def check_list_value(pulse: Pulse, kind: str, referenced: Pulse) -> None:
    """`pulse`'s listValues entry `kind` (hour, day, month, year…) is `referenced`'s output."""
    claimed = pulse.list_value(kind)
    if claimed != referenced.output_value:
        raise PulseVerificationError(
            f"listValues {kind!r} is not pulse {referenced.pulse_index}'s outputValue",
            pulse_index=pulse.pulse_index,
            expected=referenced.output_value.hex(),
            computed=claimed.hex(),
        )


def verify_pulses(pulses: Sequence[Pulse], certificate: x509.Certificate) -> list[bytes]:
    """Verify each pulse; check chaining and precommitment between consecutive indices."""
    outputs = [verify_pulse(p, certificate) for p in pulses]
    ordered = sorted(pulses, key=lambda p: (p.chain_index, p.pulse_index))
    for a, b in itertools.pairwise(ordered):
        if a.chain_index == b.chain_index and b.pulse_index == a.pulse_index + 1:
            check_pulse_chain(a, b)
            check_precommitment(a, b)
    return outputs
