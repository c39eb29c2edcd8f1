// The browser's registry.snapshot diff reader (public_portal/static/js/entries.js) against the
// SAME vector file as tests/draw_engine/test_registry_diff.py: tests/vectors/entries/snapshot-diff.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors } from './vectors.mjs';
import { EntryError, checkIdsFile, snapshotDiffRef } from '../../../public_portal/static/js/entries.js';

const { vectors } = loadVectors('entries/snapshot-diff.json');

test('the snapshot-diff vectors are there', () => {
  assert.ok(vectors.length >= 20);
});

const asJson = (ids) => (ids === null ? null : {
  added: [...ids.added], removed: [...ids.removed],
  changed: ids.changed.map(([id, fields]) => ({ id, fields: [...fields] })),
  retired: [...ids.retired], reactivated: [...ids.reactivated],
});

for (const v of vectors) {
  test(`snapshot diff vector ${v.name}`, async () => {
    const run = async () => {
      const ref = snapshotDiffRef(v.entry);
      const ids = v.op === 'check_ids_file' ? await checkIdsFile(ref, new TextEncoder().encode(v.file)) : ref.ids;
      return { ref, ids };
    };
    if (v.expect.result === 'ok') {
      const { ref, ids } = await run();
      assert.deepEqual([ref.added, ref.removed, ref.changed, ref.idsSha256],
        [v.expect.added, v.expect.removed, v.expect.changed, v.expect.ids_sha256]);
      assert.deepEqual(asJson(ids), v.expect.ids);
      assert.deepEqual(ids ? [...ids.leftPool] : null, v.expect.left_pool);
    } else {
      await assert.rejects(run, (e) => {
        assert.ok(e instanceof EntryError, String(e));
        assert.ok(e.message.toLowerCase().includes(v.expect.message.toLowerCase()), `${e.message} lacks ${v.expect.message}`);
        return true;
      });
    }
  });
}
