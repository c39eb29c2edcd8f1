/**
 * drand beacon verification (DESIGN §6; shared/reference/beacons.md §2) with
 * the vendored @noble/curves bls12_381.
 *
 * Schemes: `bls-unchained-g1-rfc9380` (quicknet: signature on G1, key on G2,
 * m = SHA-256(u64be(round)), noble shortSignatures) and `pedersen-bls-chained`
 * (default mainnet: signature on G2, key on G1, m = SHA-256(prev_sig ||
 * u64be(round)), noble longSignatures). The DST is always passed explicitly;
 * infinity points are refused before the pairing; randomness is recomputed as
 * SHA-256(signature) and must equal any value given. Chain info (public key,
 * genesis, period, scheme) is a parameter: pinned in trust.json.
 * Left out: fastnet's non-RFC DST, evmnet (BN254), fetching beacons.
 */
import { bls12_381 } from './vendor/noble-curves.min.js';
import { BeaconError, FormatError } from './errors.js';
import { bytesToHex, concatBytes, equalBytes, hexToBytes, toBigIndex, uint64be } from './bytes.js';
import { sha256Sync } from './hashing.js';

export const SCHEMES = {
  'bls-unchained-g1-rfc9380': {
    dst: 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_', sigLength: 48, keyLength: 96, chained: false,
  },
  'pedersen-bls-chained': {
    dst: 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_', sigLength: 96, keyLength: 48, chained: true,
  },
};

/** Check chain info {public_key, period, genesis_time, scheme, chain_hash?} and return it with decoded key. */
export function parseChainInfo(info) {
  const scheme = SCHEMES[info && info.scheme];
  if (!scheme) throw new FormatError(`beacon scheme ${JSON.stringify(info && info.scheme)} is not supported`);
  const publicKey = hexToBytes(info.public_key, scheme.keyLength, 'beacon public key');
  if (!Number.isSafeInteger(info.period) || info.period < 1) throw new FormatError('beacon period must be a positive integer');
  if (!Number.isSafeInteger(info.genesis_time) || info.genesis_time < 0) throw new FormatError('beacon genesis_time must be a non-negative integer');
  return { ...info, publicKey, schemeInfo: scheme };
}

/** SPEC(drand): round R is published at genesis + (R-1)·period (POSIX seconds). */
export function roundTime(chain, round) {
  const r = toBigIndex(round, 'round');
  if (r < 1n) throw new FormatError('round must be at least 1');
  return Number(BigInt(chain.genesis_time) + (r - 1n) * BigInt(chain.period));
}

/** The 32-byte message hashed to the curve for `round`. */
export function beaconMessage(chain, round, previousSignature = null) {
  const info = SCHEMES[chain.scheme];
  const r = uint64be(round);
  if (!info.chained) return sha256Sync(r);
  // Go writes prev only if non-empty.
  return sha256Sync(previousSignature && previousSignature.length ? concatBytes(previousSignature, r) : r);
}

function isInfinity(bytes) {
  // Compressed ZCash encoding: flag 0x40 = point at infinity.
  return bytes.length > 0 && (bytes[0] & 0x40) !== 0;
}

/**
 * Verify one beacon {round, signature, previous_signature?, randomness?}
 * against chain info; returns {round, randomness (bytes), roundTime}. Throws
 * BeaconError / FormatError, never returns false.
 */
export function verifyBeacon(chainInfo, beacon, expectedRound = undefined) {
  const chain = chainInfo.publicKey ? chainInfo : parseChainInfo(chainInfo);
  const info = chain.schemeInfo;
  const round = beacon.round;
  if (!Number.isSafeInteger(round) || round < 1) throw new FormatError(`beacon round ${round} is not a positive integer`);
  if (expectedRound !== undefined && round !== expectedRound) {
    throw new BeaconError(`beacon is round ${round}, the draw committed to round ${expectedRound}`, { expected: expectedRound, got: round });
  }
  const signature = hexToBytes(beacon.signature, info.sigLength, 'beacon signature');
  if (isInfinity(signature)) throw new BeaconError('beacon signature is the point at infinity', { round });
  let previous = null;
  if (info.chained) {
    if (typeof beacon.previous_signature !== 'string') throw new FormatError('chained beacon needs previous_signature');
    previous = hexToBytes(beacon.previous_signature, undefined, 'previous signature');
  }
  const message = beaconMessage(chain, round, previous);
  const mode = info.chained ? bls12_381.longSignatures : bls12_381.shortSignatures;
  let ok;
  try {
    const point = mode.hash(message, info.dst);
    const sig = mode.Signature.fromBytes(signature);
    ok = mode.verify(sig, point, chain.publicKey);
  } catch (e) {
    throw new BeaconError(`beacon round ${round}: signature is not a valid curve point (${e.message})`, { round });
  }
  if (!ok) throw new BeaconError(`beacon round ${round}: BLS signature does not verify against the pinned chain key`, { round });
  // SPEC(drand): randomness = SHA-256(signature), recomputed, never trusted.
  const randomness = sha256Sync(signature);
  if (beacon.randomness !== undefined && beacon.randomness !== null) {
    const given = hexToBytes(beacon.randomness, 32, 'beacon randomness');
    if (!equalBytes(given, randomness)) {
      throw new BeaconError(`beacon round ${round}: randomness is not SHA-256(signature)`, { expected: bytesToHex(randomness), got: beacon.randomness });
    }
  }
  return { round, randomness, roundTime: roundTime(chain, round) };
}
