import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize, canonicalBytes } from '../../../public_portal/static/js/jcs.js';
import { decodeBase64, encodeBase64, parseDecimal, hexToBytes } from '../../../public_portal/static/js/bytes.js';
import { FormatError } from '../../../public_portal/static/js/errors.js';

test('RFC 8785 §3.2.3 sorting example: keys by UTF-16 code units', () => {
  const obj = {
    '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis',
  };
  // RFC 8785 §3.2.3 expected order: \r, 1, \u0080, \u00f6, \u20ac, \ud83d\ude00 (D83D < FB33), \ufb33
  // (read the text: JSON.parse would move the integer-like key "1" first)
  assert.equal(canonicalize(obj), '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
    + '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}');
});

test('string escaping per RFC 8785 §3.2.2.2', () => {
  assert.equal(canonicalize('\u0000\b\t\n\f\r"\\/\u001f\u007f\u2028'), '"\\u0000\\b\\t\\n\\f\\r\\"\\\\/\\u001f\u007f\u2028"');
  assert.equal(canonicalize('抽查 ✓'), '"抽查 ✓"');
  assert.deepEqual([...canonicalBytes('é')], [0x22, 0xc3, 0xa9, 0x22]);
});

test('nested structures, integers, booleans, null', () => {
  assert.equal(canonicalize({ b: [1, -2, true, false, null, { z: 0, a: 'x' }], a: {} }), '{"a":{},"b":[1,-2,true,false,null,{"a":"x","z":0}]}');
  assert.equal(canonicalize(9007199254740991), '9007199254740991');
  assert.equal(canonicalize(-9007199254740991), '-9007199254740991');
  assert.equal(canonicalize([]), '[]');
});

test('outside our subset: refused, never approximated', () => {
  for (const bad of [1.5, 9007199254740992, -0, NaN, Infinity, 10n, undefined, { a: undefined }, new Date(0), () => 1, '\ud800', 'a\udc00b', [1e300]]) {
    assert.throws(() => canonicalize(bad), FormatError, String(bad));
  }
});

test('strict base64, hex and decimal', () => {
  assert.deepEqual([...decodeBase64('AAEC')], [0, 1, 2]);
  assert.equal(encodeBase64(decodeBase64('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')), '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  for (const bad of ['AAE', 'AA=A', 'AB==', 'A B=', 'AAE\n', '-_==', '====', 'AA==AA==']) assert.throws(() => decodeBase64(bad), FormatError, bad);
  assert.equal(decodeBase64('').length, 0);
  for (const bad of ['0A', 'abc', 'zz']) assert.throws(() => hexToBytes(bad), FormatError);
  for (const bad of ['01', '+1', ' 1', '1_0', '', '-0', '1.0']) assert.throws(() => parseDecimal(bad), FormatError, bad);
  assert.equal(parseDecimal('0'), 0n);
  assert.equal(parseDecimal('9223372036854775807'), (1n << 63n) - 1n);
  assert.throws(() => parseDecimal('9223372036854775808'), FormatError);
});
