"""The classic-script build (public_portal/classic.py) matches the module sources and refuses
what it cannot translate (issue 13 item 3). Pages using it from disk: test_browser_disk.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from public_portal import classic


def test_checked_in_classic_build_matches_the_module_sources() -> None:
    built = classic.build()
    if classic.OUTPUT.read_text(encoding="utf-8") != built:
        pytest.fail("public_portal/static/assets/classic.js is stale or edited by hand: run "
                    "`python -m public_portal.classic` and commit the result")


def test_every_page_script_and_its_imports_are_in_the_build() -> None:
    paths = [m.path for m in classic.collect()]
    assert set(classic.ENTRIES) <= set(paths)
    assert "assets/verify-worker.js" in paths  # loaded on demand by the main-thread fallback
    assert "assets/js/vendor/noble-curves.min.js" in paths
    for m in classic.collect():
        assert all(paths.index(dep) < paths.index(m.path) for dep in m.deps), m.path


def test_translation_of_each_accepted_form() -> None:
    src = (
        "import { a, b as c } from './x.js';\n"
        "import {\n  d,\n} from '../y.js';\n"
        "export function f() { return import('./z.js'); }\n"
        "export async function g() {}\nexport class K {}\nexport const N = 1;\n"
        "const h = 2;\nexport { h, N as M };\n"
        "const u = new URL('./w.js', import.meta.url);\n"
    )
    m = classic.translate("assets/js/m.js", src)
    assert m.deps == ("assets/js/x.js", "assets/y.js", "assets/js/z.js")
    assert "const { a, b: c } = require('assets/js/x.js');" in m.body
    assert "Promise.resolve().then(() => require('assets/js/z.js'))" in m.body
    assert "new URL('assets/js/m.js', portalRoot).href" in m.body
    for line in ("exports.f = f;", "exports.g = g;", "exports.K = K;", "exports.N = N;",
                 "exports.h = h;", "exports.M = N;"):
        assert line in m.body
    assert "export " not in m.body


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import x from './x.js';\n", "import statement of another form"),
        ("import * as x from './x.js';\n", "namespace import"),
        ("export default 1;\n", "default export"),
        ("const m = import(name);\n", "dynamic import"),
        ("export * from './x.js';\n", "re-export"),
        ("import { a } from 'https://cdn.example/x.js';\n", "not a relative path"),
        ("import { a } from '../../../x.js';\n", "leaves the portal"),
    ],
)
def test_unsupported_syntax_is_refused_naming_the_file(source: str, message: str) -> None:
    with pytest.raises(classic.ClassicBuildError, match=message) as err:
        classic.translate("assets/js/m.js", source)
    assert "assets/js/m.js" in str(err.value)


def test_an_import_cycle_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.js").write_text("import { b } from './b.js';\nexport const a = 1;\n")
    (tmp_path / "assets" / "b.js").write_text("import { a } from './a.js';\nexport const b = 1;\n")
    monkeypatch.setattr(classic, "STATIC", tmp_path)
    cycle = r"import cycle: assets/a\.js -> assets/b\.js"
    with pytest.raises(classic.ClassicBuildError, match=cycle):
        classic.collect(("assets/a.js",))


def test_the_script_rewrites_the_checked_in_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "classic.js"
    monkeypatch.setattr(classic, "OUTPUT", out)
    classic.main()
    assert out.read_text(encoding="utf-8") == classic.build()
    # and the command line form runs as documented
    code = "import public_portal.classic as c; print(len(c.build()))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(run.stdout) == len(classic.build())
