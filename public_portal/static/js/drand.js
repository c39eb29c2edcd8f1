/**
 * drand beacon verification and chain identity (DESIGN §6; docs/spec/beacons.md;
 * shared/reference/beacons.md §2) with the vendored @noble/curves bls12_381.
 * The Python twin is draw_engine/beacon.py + draw_engine/drand.py; both read
 * tests/vectors/drand/*.json and tests/vectors/adversarial/beacons.json.
 *
 * Schemes: `bls-unchained-g1-rfc9380` (quicknet: signature on G1, key on G2,
 * m = SHA-256(u64be(round)), noble shortSignatures) and `pedersen-bls-chained`
 * (default mainnet: signature on G2, key on G1, m = SHA-256(prev_sig ||
 * u64be(round)), noble longSignatures). The DST is always passed explicitly;
 * infinity points are refused before the pairing; randomness is recomputed as
 * SHA-256(signature) and must equal the given value.
 *
 * Chain identity (check `beacon-identity`): `chainHashOf(info)` is drand's
 * `chain.Info.Hash()`; a chain not marked local must equal a chain in
 * PINNED_CHAINS (quicknet, mainnet), pinned here in code, not in trust.json.
 * Left out: fastnet's non-RFC DST, evmnet (BN254), fetching beacons.
 */
import { bls12_381 } from './vendor/noble-curves.min.js';
import { BeaconError, FormatError } from './errors.js';
import { bytesToHex, concatBytes, equalBytes, hexToBytes, toBigIndex, uint64be, utf8 } from './bytes.js';
import { sha256Sync } from './hashing.js';

export const SCHEMES = {
  'bls-unchained-g1-rfc9380': {
    dst: 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_', sigLength: 48, keyLength: 96, chained: false,
  },
  'pedersen-bls-chained': {
    dst: 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_', sigLength: 96, keyLength: 48, chained: true,
  },
};

// SPEC(drand Info.Hash): the period is hashed as uint32 seconds, the genesis time as int64.
const MAX_PERIOD = 2 ** 32 - 1;

/** The value of the first of `names` present in `info`; two present with different values is a FormatError. */
function field(info, names, what) {
  let found;
  for (const name of names) {
    const v = name === 'metadata.beaconID' ? (info.metadata && typeof info.metadata === 'object' ? info.metadata.beaconID : undefined) : info[name];
    if (v === undefined) continue;
    if (found !== undefined && v !== found) throw new FormatError(`beacon chain info gives two different ${what} (${names.join(', ')})`);
    found = v;
  }
  return found;
}

/**
 * Check chain info and return it with decoded fields. Accepts our shape
 * {scheme, public_key, period, genesis_time, chain_hash?, genesis_seed?, beacon_id?, local?}
 * and drand's /info names (schemeID, hash, groupHash, metadata.beaconID); both
 * names for one field must agree.
 */
export function parseChainInfo(info) {
  if (info && info.publicKey && info.schemeInfo) return info;
  if (!info || typeof info !== 'object') throw new FormatError('beacon chain info must be an object');
  const schemeId = field(info, ['scheme', 'schemeID'], 'schemes');
  const scheme = SCHEMES[schemeId];
  if (typeof schemeId !== 'string' || !scheme) throw new FormatError(`beacon scheme ${JSON.stringify(schemeId)} is not supported`);
  const publicKey = hexToBytes(info.public_key, scheme.keyLength, 'beacon public key');
  if (!Number.isSafeInteger(info.period) || info.period < 1 || info.period > MAX_PERIOD) throw new FormatError(`beacon period must be an integer in [1, ${MAX_PERIOD}]`);
  if (!Number.isSafeInteger(info.genesis_time) || info.genesis_time < 1) throw new FormatError('beacon genesis_time must be a positive integer');
  const hash = field(info, ['chain_hash', 'hash'], 'chain hashes');
  const chainHash = hash === undefined ? null : hexToBytes(hash, 32, 'beacon chain hash');
  const groupHash = hexToBytes(field(info, ['genesis_seed', 'groupHash'], 'group hashes') ?? '', undefined, 'beacon group hash');
  const beaconId = field(info, ['beacon_id', 'metadata.beaconID'], 'beacon ids') ?? '';
  if (typeof beaconId !== 'string') throw new FormatError('beacon id must be a string');
  if (info.local !== undefined && typeof info.local !== 'boolean') throw new FormatError('beacon local must be a boolean');
  return {
    ...info, scheme: schemeId, publicKey, chainHash, groupHash, beaconId, local: info.local === true, schemeInfo: scheme,
  };
}

// SPEC(beacons §5): the local development beacon's group hash and beacon id, used for
// a local chain that gives no group hash (draw_engine/beacon.py local_genesis_seed).
export const LOCAL_BEACON_ID = 'fairdraw-local';
const LOCAL_SEED_PREFIX = utf8('fairdraw local beacon v1');

/**
 * drand `chain.Info.Hash()` of the chain info's fields (never its chain_hash):
 * SHA-256(u32be(period) || i64be(genesis_time) || public key || group hash ||
 * beacon id unless "default" or ""). A chain marked local (`local` argument, or
 * the info's own flag) that gives no group hash is hashed with the local
 * beacon's. Returns 32 bytes.
 */
export function chainHashOf(info, local = undefined) {
  const c = parseChainInfo(info);
  let groupHash = c.groupHash;
  let beaconId = c.beaconId;
  if ((local ?? c.local) && groupHash.length === 0) {
    groupHash = sha256Sync(concatBytes(LOCAL_SEED_PREFIX, c.publicKey));
    beaconId = beaconId || LOCAL_BEACON_ID;
  }
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint32(0, c.period, false);
  view.setBigInt64(4, BigInt(c.genesis_time), false);
  // SPEC(drand common.IsDefaultBeaconID): the id is not hashed when "default" or "".
  const id = beaconId === '' || beaconId === 'default' ? new Uint8Array(0) : utf8(beaconId);
  return sha256Sync(concatBytes(head, c.publicKey, groupHash, id));
}

function pinned(name, info) {
  const chain = parseChainInfo(info);
  if (!equalBytes(chainHashOf(chain), chain.chainHash)) throw new Error(`pinned chain ${name}: chain hash does not match its info`);
  return Object.freeze(chain);
}

/** The League of Entropy chains pinned in code (tests/vectors/drand/*.json chain_info; draw_engine/beacon.py QUICKNET, MAINNET). */
export const PINNED_CHAINS = Object.freeze({
  quicknet: pinned('quicknet', {
    scheme: 'bls-unchained-g1-rfc9380',
    public_key: '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a',
    period: 3,
    genesis_time: 1692803367,
    chain_hash: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
    genesis_seed: 'f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e',
    beacon_id: 'quicknet',
  }),
  mainnet: pinned('mainnet', {
    scheme: 'pedersen-bls-chained',
    public_key: '868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31',
    period: 30,
    genesis_time: 1595431050,
    chain_hash: '8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce',
    genesis_seed: '176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a',
    beacon_id: 'default',
  }),
});

const short = (hash) => bytesToHex(hash).slice(0, 8) + '\u2026';
const identityError = (message, rule, chainHash, expected = '', got = '') =>
  new BeaconError(message, { rule, chain_hash: bytesToHex(chainHash), expected, got });

/** The chain hash the info is filed under is chainHashOf(info); throws BeaconError (rule `chain-hash`). */
export function checkChainHash(info, local) {
  const c = parseChainInfo(info);
  if (!c.chainHash) throw new FormatError('beacon chain info gives no chain hash');
  const computed = chainHashOf(c, local);
  if (!equalBytes(computed, c.chainHash)) {
    throw identityError(`beacon-identity: chain ${short(c.chainHash)} is filed under a chain hash that is not the hash of its chain info (recomputed ${bytesToHex(computed)})`,
      'chain-hash', c.chainHash, bytesToHex(c.chainHash), bytesToHex(computed));
  }
}

/**
 * Check `beacon-identity` (docs/spec/beacons.md §2.1) for a chain filed under
 * its chain hash: when the info gives a group hash (or is local) the chain hash
 * is recomputed from it; a chain not local must then be the chain pinned in
 * code with that hash: same scheme, public key, genesis, period (group hash and
 * beacon id when given). `filedUnder` (hex), the trust.json key, must equal
 * the info's chain hash and stands for it when the info gives none.
 * Throws BeaconError with evidence {rule, chain_hash, expected, got}; the
 * messages are those of draw_engine/beacon.py check_chain_identity.
 */
export function checkChainIdentity(info, local, filedUnder = undefined) {
  let c = parseChainInfo(info);
  if (filedUnder !== undefined) {
    // The key a chain is filed under in trust.json (fairdraw/trust.py: the same rule).
    const key = hexToBytes(filedUnder, 32, 'beacon chain hash');
    if (c.chainHash && !equalBytes(c.chainHash, key)) {
      throw identityError(`beacon-identity: chain ${short(key)} is filed under another chain hash than its own (${bytesToHex(c.chainHash)})`, 'filed-under', key, filedUnder, bytesToHex(c.chainHash));
    }
    c = { ...c, chainHash: key };
  }
  if (!c.chainHash) throw new FormatError('beacon chain info gives no chain hash');
  if (c.groupHash.length || local) checkChainHash(c, Boolean(local));
  if (local) return;
  const entry = Object.entries(PINNED_CHAINS).find(([, p]) => equalBytes(p.chainHash, c.chainHash));
  if (!entry) {
    const names = Object.entries(PINNED_CHAINS).map(([n, p]) => `${n} ${short(p.chainHash)}`).join(', ');
    throw identityError(`beacon-identity: chain ${short(c.chainHash)} is not a drand chain pinned in code (${names}) and is not marked local`,
      'not-pinned', c.chainHash, '', bytesToHex(c.chainHash));
  }
  const [name, ref] = entry;
  const fields = [
    ['scheme', 'scheme', ref.scheme, c.scheme],
    ['public-key', 'public key', bytesToHex(ref.publicKey), bytesToHex(c.publicKey)],
    ['genesis-time', 'genesis time', String(ref.genesis_time), String(c.genesis_time)],
    ['period', 'period', String(ref.period), String(c.period)],
  ];
  if (c.groupHash.length) {
    fields.push(['group-hash', 'group hash', bytesToHex(ref.groupHash), bytesToHex(c.groupHash)]);
    // SPEC(drand common.CompareBeaconIDs): "" and "default" are the same id.
    const isDefault = (id) => id === '' || id === 'default';
    if (!(ref.beaconId === c.beaconId || (isDefault(ref.beaconId) && isDefault(c.beaconId)))) {
      fields.push(['beacon-id', 'beacon id', ref.beaconId, c.beaconId]);
    }
  }
  for (const [rule, label, expected, got] of fields) {
    if (expected !== got) {
      throw identityError(`beacon-identity: chain ${short(c.chainHash)} is filed with a ${label} that is not drand ${name}'s`, rule, c.chainHash, expected, got);
    }
  }
}

/** The announced round time `claimed` (unix seconds) is roundTime(chain, round); throws BeaconError (rule `round-time`). */
export function checkRoundTime(info, round, claimed) {
  const c = parseChainInfo(info);
  const computed = roundTime(c, round);
  if (claimed !== computed) {
    throw identityError(`beacon-identity: round ${round} of chain ${c.chainHash ? short(c.chainHash) : '?'} is published at ${computed}, not at the announced ${claimed}`,
      'round-time', c.chainHash ?? new Uint8Array(0), String(computed), String(claimed));
  }
}

/** Display form of the chain's public key: the first 16 hex of SHA-256(key) in groups of 4 (`96e7-4fcd-d3a1-1840` for quicknet). */
export function keyFingerprint(info) {
  const digest = bytesToHex(sha256Sync(parseChainInfo(info).publicKey)).slice(0, 16);
  return digest.match(/.{4}/g).join('-');
}

/** SPEC(drand): round R is published at genesis + (R-1)·period (POSIX seconds). */
export function roundTime(chain, round) {
  const r = toBigIndex(round, 'round');
  if (r < 1n) throw new FormatError('round must be at least 1');
  return Number(BigInt(chain.genesis_time) + (r - 1n) * BigInt(chain.period));
}

/** The 32-byte message hashed to the curve for `round` (draw_engine/drand.py beacon_message). */
export function beaconMessage(chain, round, previousSignature = null) {
  const info = SCHEMES[chain.scheme];
  const r = uint64be(round);
  if (!info.chained) {
    if (previousSignature !== null && previousSignature !== undefined) throw new BeaconError(`round ${round}: scheme ${chain.scheme} is unchained and takes no previous signature`, { round });
    return sha256Sync(r);
  }
  // SPEC(drand schemes.go NewPedersenBLSChained): sha256(prev || u64be(round)); an empty
  // prev is refused (Go would silently hash the round alone).
  if (!previousSignature || previousSignature.length === 0) throw new BeaconError(`round ${round}: scheme ${chain.scheme} needs the previous signature`, { round });
  return sha256Sync(concatBytes(previousSignature, r));
}

function isInfinity(bytes) {
  // Compressed ZCash encoding: flag 0x40 = point at infinity.
  return bytes.length > 0 && (bytes[0] & 0x40) !== 0;
}

const BEACON_KEYS = new Set(['round', 'signature', 'randomness', 'previous_signature']);

/**
 * A drand `/public/<round>` object, strictly (draw_engine/beacon.py
 * parse_beacon_json): known keys only, then the field rules of verifyBeacon.
 */
export function parseBeaconJson(obj, chainInfo) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new FormatError('beacon: expected a JSON object');
  const extra = Object.keys(obj).filter((k) => !BEACON_KEYS.has(k)).sort();
  if (extra.length) throw new FormatError(`beacon: unexpected fields ${JSON.stringify(extra)}`);
  return beaconFields(parseChainInfo(chainInfo), obj);
}

/** The field rules shared with Python: round, signature size, previous_signature per scheme, randomness. */
function beaconFields(chain, beacon) {
  const info = chain.schemeInfo;
  for (const name of ['round', 'signature', 'randomness']) {
    if (beacon[name] === undefined) throw new FormatError(`beacon: missing field '${name}'`);
  }
  const round = beacon.round;
  if (!Number.isSafeInteger(round) || round < 1) throw new FormatError(`beacon round ${round} is not a positive integer`);
  let previous = null;
  if (info.chained) {
    // SPEC(beacons §3.2): a chained beacon needs a non-empty previous signature.
    if (beacon.previous_signature === undefined) throw new FormatError("beacon: chained scheme needs 'previous_signature'");
    previous = hexToBytes(beacon.previous_signature, undefined, 'previous_signature');
    if (previous.length === 0) throw new FormatError('previous_signature: empty');
  } else if (beacon.previous_signature !== undefined && beacon.previous_signature !== '') {
    throw new FormatError('beacon: unchained scheme carries a previous_signature');
  }
  return {
    round,
    signature: hexToBytes(beacon.signature, info.sigLength, 'beacon signature'),
    previous,
    randomness: hexToBytes(beacon.randomness, 32, 'beacon randomness'),
  };
}

/**
 * Verify one beacon {round, signature, previous_signature (chained only),
 * randomness} against chain info; returns {round, randomness (bytes),
 * roundTime}. Keys other than these are ignored here (parseBeaconJson refuses
 * them). Throws BeaconError / FormatError, never returns false.
 */
export function verifyBeacon(chainInfo, beacon, expectedRound = undefined) {
  const chain = parseChainInfo(chainInfo);
  const info = chain.schemeInfo;
  if (!beacon || typeof beacon !== 'object') throw new FormatError('beacon: expected a JSON object');
  const round = beacon.round;
  if (!Number.isSafeInteger(round) || round < 1) throw new FormatError(`beacon round ${round} is not a positive integer`);
  if (expectedRound !== undefined && round !== expectedRound) {
    throw new BeaconError(`beacon is round ${round}, the draw committed to round ${expectedRound}`, { expected: expectedRound, got: round });
  }
  const { signature, previous, randomness: given } = beaconFields(chain, beacon);
  if (isInfinity(signature)) throw new BeaconError('beacon signature is the point at infinity', { round });
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
  if (!equalBytes(given, randomness)) {
    throw new BeaconError(`beacon round ${round}: randomness is not SHA-256(signature)`, { expected: bytesToHex(randomness), got: beacon.randomness });
  }
  return { round, randomness, roundTime: roundTime(chain, round) };
}
