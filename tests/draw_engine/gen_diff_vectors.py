"""Writes tests/vectors/entries/snapshot-diff.json: `registry.snapshot` diff cases.

Run `python -m tests.draw_engine.gen_diff_vectors` (`--check` compares with the
committed file). Only inputs are computed here (canonical JSON, SHA-256 of an
ids document); every verdict is written by hand from docs/spec/registry-diff.md,
never taken from either implementation. Read by tests/draw_engine/test_registry_diff.py
and tests/public_portal/js/registry-diff.test.mjs.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import rfc8785

OUT = Path(__file__).resolve().parents[1] / "vectors" / "entries" / "snapshot-diff.json"
ROOT = "ab" * 32


def entry(diff: Any) -> dict[str, Any]:
    return {"type": "registry.snapshot", "v": 1, "snapshot": "units-2026-11", "kind": "units",
            "root": ROOT, "count": 4, "prev": "units-2026-10", "diff": diff,
            "publish": "at_announce"}


def ids(added=(), removed=(), changed=(), retired=(), reactivated=()) -> dict[str, Any]:
    return {"added": list(added), "removed": list(removed),
            "changed": [{"id": i, "fields": list(f)} for i, f in changed],
            "retired": list(retired), "reactivated": list(reactivated)}


GOOD = ids(added=["U4", "U5"], removed=["U3"],
           changed=[("U1", ["name", "地址"]), ("U2", ["status"])], retired=["U2"])
GOOD_FILE = rfc8785.dumps(GOOD)
GOOD_SHA = hashlib.sha256(GOOD_FILE).hexdigest()
COUNTS = {"added": 2, "removed": 1, "changed": 2}


def ok(added: int, removed: int, changed: int, ids_: Any, sha: str | None,
       left_pool: list[str] | None) -> dict[str, Any]:
    return {"result": "ok", "added": added, "removed": removed, "changed": changed,
            "ids": ids_, "ids_sha256": sha, "left_pool": left_pool}


def err(message: str) -> dict[str, Any]:
    return {"result": "entry_error", "message": message}


def ref(name: str, why: str, diff: Any, expect: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "why": why, "op": "snapshot_diff_ref", "entry": entry(diff),
            "expect": expect}


def file_case(name: str, why: str, diff: Any, data: str, expect: dict[str, Any]
              ) -> dict[str, Any]:
    return {"name": name, "why": why, "op": "check_ids_file", "entry": entry(diff),
            "file": data, "expect": expect}


def vectors() -> list[dict[str, Any]]:
    with_sha = {**COUNTS, "ids_sha256": GOOD_SHA}
    return [
        ref("counts-only", "entries written before issue 18 still parse: no ids",
            {"added": 30, "removed": 0, "changed": 70}, ok(30, 0, 70, None, None, None)),
        ref("inline", "ids in the entry", {**COUNTS, "ids": GOOD},
            ok(2, 1, 2, GOOD, None, ["U2", "U3"])),
        ref("by-hash", "a big diff: only the hash of its ids document",
            with_sha, ok(2, 1, 2, None, GOOD_SHA, None)),
        ref("non-bmp-fields-code-point-order",
            "field names sort by code point (Python str order), not UTF-16 units",
            {"added": 0, "removed": 0, "changed": 1,
             "ids": ids(changed=[("U1", ["\uffff", "\U00020000"])])},
            ok(0, 0, 1, ids(changed=[("U1", ["\uffff", "\U00020000"])]), None, [])),
        ref("both", "inline ids and a hash", {**COUNTS, "ids": GOOD, "ids_sha256": GOOD_SHA},
            err("both ids and ids_sha256")),
        ref("unknown-field", "no other diff field", {**COUNTS, "names": []},
            err('unknown diff field "names"')),
        ref("not-object", "diff is an object", [1, 2], err("diff must be an object")),
        ref("negative-count", "counts are integers >= 0",
            {"added": -1, "removed": 0, "changed": 0}, err("diff.added must be an integer >= 0")),
        ref("count-mismatch", "list lengths equal the counts",
            {"added": 3, "removed": 1, "changed": 2, "ids": GOOD},
            err("2 added ids, but diff.added is 3")),
        ref("unsorted", "ids sorted by id",
            {"added": 2, "removed": 0, "changed": 0, "ids": ids(added=["U5", "U4"])},
            err("diff.ids.added is not sorted")),
        ref("repeated", "no id twice",
            {"added": 2, "removed": 0, "changed": 0, "ids": ids(added=["U4", "U4"])},
            err("diff.ids.added is not sorted by id without repeats")),
        ref("bad-id", "ids are ASCII identifiers",
            {"added": 1, "removed": 0, "changed": 0, "ids": ids(added=["单位1"])},
            err('diff.ids.added[0] "单位1" is not an identifier')),
        ref("retired-not-changed", "retired ids are changed ids",
            {"added": 0, "removed": 0, "changed": 0, "ids": ids(retired=["U9"])},
            err('retired id "U9" is not a changed id')),
        ref("retired-and-reactivated", "one status change per id",
            {"added": 0, "removed": 0, "changed": 1,
             "ids": ids(changed=[("U1", ["status"])], retired=["U1"], reactivated=["U1"])},
            err('"U1" is both retired and reactivated')),
        ref("empty-fields", "a changed record names at least one field",
            {"added": 0, "removed": 0, "changed": 1, "ids": ids(changed=[("U1", [])])},
            err("fields must be a non-empty sorted list")),
        ref("unsorted-fields", "field names sorted",
            {"added": 0, "removed": 0, "changed": 1,
             "ids": ids(changed=[("U1", ["地址", "name"])])},
            err("fields must be a non-empty sorted list")),
        ref("changed-shape", "a changed item is {id, fields}",
            {"added": 0, "removed": 0, "changed": 1, "ids": {**ids(), "changed": [{"id": "U1"}]}},
            err("must be an object with exactly id, fields")),
        ref("missing-list", "the ids document has all five lists",
            {"added": 0, "removed": 0, "changed": 0,
             "ids": {"added": [], "removed": [], "changed": []}},
            err("diff ids must be an object with exactly")),
        ref("changed-unsorted", "changed ids sorted",
            {"added": 0, "removed": 0, "changed": 2,
             "ids": ids(changed=[("U2", ["x"]), ("U1", ["x"])])},
            err("diff.ids.changed is not sorted")),
        ref("bad-hash", "ids_sha256 is 64 lowercase hex digits",
            {**COUNTS, "ids_sha256": GOOD_SHA.upper()}, err("64 lowercase hex digits")),
        file_case("file-good", "the published ids document matches the hash", with_sha,
                  GOOD_FILE.decode(), ok(2, 1, 2, GOOD, GOOD_SHA, ["U2", "U3"])),
        file_case("file-other-bytes", "a file with other bytes than the hash",
                  with_sha, GOOD_FILE.decode().replace("U5", "U6"),
                  err("diff ids file has SHA-256")),
        file_case("file-not-canonical", "the hash of a non-canonical document",
                  {**COUNTS, "ids_sha256": hashlib.sha256(
                      json.dumps(GOOD, ensure_ascii=False).encode()).hexdigest()},
                  json.dumps(GOOD, ensure_ascii=False), err("not canonical JSON")),
        file_case("file-count-mismatch", "the file's lists must match the entry's counts",
                  {"added": 5, "removed": 1, "changed": 2, "ids_sha256": GOOD_SHA},
                  GOOD_FILE.decode(), err("2 added ids, but diff.added is 5")),
        file_case("file-for-inline", "an entry with inline ids has no file",
                  {**COUNTS, "ids": GOOD}, GOOD_FILE.decode(), err("has no ids_sha256")),
    ]


def main() -> None:
    text = json.dumps({"about": "registry.snapshot diff cases (docs/spec/registry-diff.md); "
                       "written by tests/draw_engine/gen_diff_vectors.py, verdicts by hand",
                       "vectors": vectors()}, ensure_ascii=False, indent=1) + "\n"
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT} differs from what the generator writes")
        return
    OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
