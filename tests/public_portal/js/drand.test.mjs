import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors } from './vectors.mjs';
import { verifyBeacon, parseChainInfo, roundTime } from '../../../public_portal/static/js/drand.js';
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
    assert.throws(() => verifyBeacon(chain, { ...r, round: r.round + 1, randomness: undefined }), BeaconError);
    assert.throws(() => verifyBeacon(chain, { ...r, randomness: flip(r.randomness, 0) }), BeaconError);
    const inf = 'c0' + '00'.repeat(r.signature.length / 2 - 1);
    assert.throws(() => verifyBeacon(chain, { ...r, signature: inf, randomness: undefined }), /infinity/);
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
