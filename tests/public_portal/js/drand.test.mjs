import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors } from './vectors.mjs';
import { verifyBeacon, parseChainInfo, parseBeaconJson, beaconMessage, roundTime } from '../../../public_portal/static/js/drand.js';
import { bytesToHex } from '../../../public_portal/static/js/bytes.js';
import { BeaconError, FormatError } from '../../../public_portal/static/js/errors.js';

const Q = loadVectors('drand/quicknet.json');
const MN = loadVectors('drand/mainnet.json');

const flip = (hexs, i) => hexs.slice(0, i) + ((parseInt(hexs[i], 16) ^ 1).toString(16)) + hexs.slice(i + 1);

for (const [name, data] of [['quicknet', Q], ['mainnet', MN]]) {
  test(`${name}: every recorded round verifies, randomness and round time recomputed`, () => {
    const chain = parseChainInfo(data.chain_info);
    for (const r of data.rounds) {
      const got = verifyBeacon(chain, r, r.round);
      assert.equal(bytesToHex(got.randomness), r.randomness);
      assert.equal(got.roundTime, r.round_time_unix);
      assert.equal(roundTime(chain, r.round), r.round_time_unix);
    }
  });

  test(`${name}: negatives (flipped byte, round+1, wrong randomness, infinity, wrong committed round)`, () => {
    const chain = parseChainInfo(data.chain_info);
    const r = data.rounds[data.rounds.length - 1];
    assert.throws(() => verifyBeacon(chain, { ...r, signature: flip(r.signature, 20) }), BeaconError);
    assert.throws(() => verifyBeacon(chain, { ...r, round: r.round + 1 }), BeaconError);
    assert.throws(() => verifyBeacon(chain, { ...r, randomness: flip(r.randomness, 0) }), BeaconError);
    const inf = 'c0' + '00'.repeat(r.signature.length / 2 - 1);
    assert.throws(() => verifyBeacon(chain, { ...r, signature: inf }), /infinity/);
    assert.throws(() => verifyBeacon(chain, r, r.round + 1), BeaconError);
    assert.throws(() => verifyBeacon(chain, { ...r, signature: r.signature.slice(2) }), FormatError);
    if (r.previous_signature) {
      assert.throws(() => verifyBeacon(chain, { ...r, previous_signature: flip(r.previous_signature, 3) }), BeaconError);
    }
  });
}

test('quicknet scheme with other chains\' keys (public key is a parameter)', () => {
  for (const r of Q.same_scheme_other_chains.rounds) {
    const chain = parseChainInfo({ ...Q.chain_info, public_key: r.public_key });
    assert.equal(bytesToHex(verifyBeacon(chain, r).randomness), r.randomness);
    assert.throws(() => verifyBeacon(parseChainInfo(Q.chain_info), r), BeaconError);
  }
});

test('the G2 DST (fastnet-style) or a swapped scheme is refused', () => {
  const r = Q.rounds[0];
  assert.throws(() => verifyBeacon(parseChainInfo({ ...Q.chain_info, scheme: 'pedersen-bls-chained' }), r), FormatError);
  assert.throws(() => parseChainInfo({ ...Q.chain_info, scheme: 'bls-unchained-on-g1' }), FormatError);
  for (const c of MN.rejected_candidates || []) {
    if (c.signature) assert.throws(() => verifyBeacon(parseChainInfo(MN.chain_info), c), BeaconError);
  }
});

test('beacon fields: the rules of draw_engine/beacon.py parse_beacon_json', () => {
  const qc = parseChainInfo(Q.chain_info);
  const mc = parseChainInfo(MN.chain_info);
  const q = Q.rounds[0];
  const m = MN.rounds[MN.rounds.length - 1];
  // A chained beacon with an empty or missing previous signature is refused before any pairing.
  assert.throws(() => verifyBeacon(mc, { ...m, previous_signature: '' }), /previous_signature: empty/);
  assert.throws(() => verifyBeacon(mc, { round: m.round, signature: m.signature, randomness: m.randomness }), /needs 'previous_signature'/);
  // An unchained beacon may not carry one ("" is tolerated, as drand's relays send it).
  assert.throws(() => verifyBeacon(qc, { ...q, previous_signature: m.signature }), /unchained scheme carries/);
  assert.throws(() => verifyBeacon(qc, { ...q, previous_signature: null }), /unchained scheme carries/);
  assert.equal(bytesToHex(verifyBeacon(qc, { ...q, previous_signature: '' }).randomness), q.randomness);
  assert.throws(() => verifyBeacon(qc, { round: q.round, signature: q.signature }), /missing field 'randomness'/);
  assert.throws(() => parseBeaconJson({ round: q.round, signature: q.signature, randomness: q.randomness, extra: 1 }, qc), /unexpected fields/);
  const parsed = parseBeaconJson({ round: q.round, signature: q.signature, randomness: q.randomness }, qc);
  assert.equal(parsed.previous, null);
  assert.throws(() => beaconMessage(mc, m.round, new Uint8Array(0)), BeaconError);
});
