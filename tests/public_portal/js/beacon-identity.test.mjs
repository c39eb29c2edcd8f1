// Beacon identity (check `beacon-identity`) and beacon JSON rules in the browser code,
// driven by tests/vectors/adversarial/beacons.json, the file the Python test reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors } from './vectors.mjs';
import {
  PINNED_CHAINS, chainHashOf, checkChainIdentity, checkRoundTime, keyFingerprint,
  parseBeaconJson, parseChainInfo, verifyBeacon,
} from '../../../public_portal/static/js/drand.js';
import { bytesToHex } from '../../../public_portal/static/js/bytes.js';
import { BeaconError, FormatError } from '../../../public_portal/static/js/errors.js';

const DOC = loadVectors('adversarial/beacons.json');
const LOCAL = parseChainInfo(DOC.local_chain);

for (const name of ['quicknet', 'mainnet']) {
  test(`${name}: the recorded chain info recomputes to its published chain hash`, () => {
    const info = loadVectors(`drand/${name}.json`).chain_info;
    assert.equal(bytesToHex(chainHashOf({ ...info, chain_hash: undefined })), info.chain_hash);
    assert.equal(bytesToHex(PINNED_CHAINS[name].chainHash), info.chain_hash);
    checkChainIdentity(info, false);
  });
}

test('key fingerprints: 4 groups of 4 hex, same values as Python', () => {
  // draw_engine/beacon.py key_fingerprint gives these for the pinned keys.
  assert.equal(keyFingerprint(PINNED_CHAINS.quicknet), '96e7-4fcd-d3a1-1840');
  assert.equal(keyFingerprint(PINNED_CHAINS.mainnet), 'd82d-6efa-447d-18e9');
  assert.match(keyFingerprint(LOCAL), /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
});

function verdict(run) {
  try {
    return { result: 'ok', out: run() };
  } catch (e) {
    if (e instanceof BeaconError && e.evidence && e.evidence.rule) return { result: 'identity', rule: e.evidence.rule, text: e.message };
    if (e instanceof BeaconError) return { result: 'verification', text: e.message };
    if (e instanceof FormatError) return { result: 'format', text: e.message };
    throw e;
  }
}

function runVector(v, strict = true) {
  if (v.op === 'check_chain_identity') return verdict(() => checkChainIdentity(v.chain, v.local, v.filed_under));
  if (v.op === 'check_round_time') return verdict(() => checkRoundTime(PINNED_CHAINS[v.chain], v.round, v.claimed));
  assert.equal(v.op, 'verify_beacon');
  const chain = v.chain === 'local' ? LOCAL : PINNED_CHAINS[v.chain];
  return verdict(() => {
    if (strict) parseBeaconJson(v.beacon, chain);
    return bytesToHex(verifyBeacon(chain, v.beacon, v.expected_round ?? undefined).randomness);
  });
}

for (const v of DOC.vectors) {
  test(`adversarial beacons: ${v.name} -> ${v.expect.result}${v.expect.rule ? ` (${v.expect.rule})` : ''}`, () => {
    const got = runVector(v);
    assert.equal(got.result, v.expect.result, JSON.stringify(got));
    if (v.expect.rule) assert.equal(got.rule, v.expect.rule);
    if (v.expect.message) assert.ok(got.text.includes(v.expect.message), `${got.text}\n does not contain\n${v.expect.message}`);
    if (v.expect.randomness) assert.equal(got.out, v.expect.randomness);
    if (v.expect.strict_only) assert.equal(runVector(v, false).result, 'ok', 'only the strict parser refuses it');
  });
}
