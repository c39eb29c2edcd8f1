"""The classic-script build of the portal's ES modules, for pages opened from disk (issue 13).

Chromium refuses module scripts and workers on `file://` pages, so a portal
opened from a directory would never verify. This module turns the page
modules (`static/assets/*.js`) and the verifier modules (`static/js/*.js`,
the vendored noble bundle included) into ONE classic script,
`static/assets/classic.js`, that defines each module as a factory and
evaluates it on first `require`, like the module graph would. The same
sources run in both forms: nothing is edited by hand, and
`tests/public_portal/test_classic.py` fails when the checked-in file differs
from what this script writes (`python -m public_portal.classic` rewrites it).

Only the module syntax our own files use is accepted; anything else is an
error naming the file and the statement, never a silent miscompile:

    import { a, b as c } from './x.js';     (one or several lines)
    export function / async function / class / const / let NAME
    export { a, b as c };                   (also minified: export{a as b,...})

    import('./x.js')                        (a relative literal: loaded on demand)

`import.meta.url` is replaced by the module's path under the portal root, so
`new URL('./x.js', import.meta.url)` keeps working; other dynamic `import()`,
namespace imports, default exports and import cycles are refused.
Left out: minification and source maps (the module files are served as they are).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from public_portal.errors import PortalError

STATIC = Path(__file__).parent / "static"
OUTPUT = STATIC / "assets" / "classic.js"
ENTRIES = (
    "assets/app-draw.js", "assets/app-offline.js", "assets/app-index.js", "assets/app-log.js",
    "assets/app-registry.js", "assets/app-stats.js",
)
"""Page scripts, by their path in the built portal (static/js/ is served as assets/js/)."""

_IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*(['\"])([^'\"]+)\2\s*;?")
_DYNAMIC = re.compile(r"\bimport\(\s*(['\"])(\.\.?/[^'\"]+)\1\s*\)")
_EXPORT_LIST = re.compile(r"export\s*\{([^}]*)\}\s*;?")
_EXPORT_DECL = re.compile(
    r"^export\s+(?=(?:async\s+function|function|class|const|let)\b)"
    r"((?:async\s+function\*?|function\*?|class|const|let)\s+)([A-Za-z_$][\w$]*)",
    re.M,
)
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_REFUSED = (
    (re.compile(r"\bimport\s*\("), "dynamic import()"),
    (re.compile(r"\bimport\s*\*"), "namespace import"),
    (re.compile(r"\bexport\s+default\b"), "default export"),
    (re.compile(r"^\s*import\s+[A-Za-z_$'\"]", re.M), "import statement of another form"),
    (re.compile(r"\bexport\s*\*"), "re-export"),
)


class ClassicBuildError(PortalError):
    """A module uses syntax the classic build does not translate."""


@dataclass(frozen=True)
class Module:
    path: str  # portal path, e.g. "assets/js/bytes.js"
    body: str
    deps: tuple[str, ...]


def source_file(portal_path: str) -> Path:
    """The file under static/ that the builder publishes at `portal_path`."""
    if portal_path.startswith("assets/js/"):
        return STATIC / "js" / portal_path.removeprefix("assets/js/")
    return STATIC / portal_path


def _resolve(importer: str, spec: str) -> str:
    if not spec.startswith(("./", "../")):
        raise ClassicBuildError(f"{importer}: import of {spec!r} is not a relative path")
    parts: list[str] = []
    for part in (*PurePosixPath(importer).parent.parts, *PurePosixPath(spec).parts):
        if part == ".":
            continue
        if part == "..":
            if not parts:
                raise ClassicBuildError(f"{importer}: {spec!r} leaves the portal")
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _bindings(text: str, where: str) -> list[tuple[str, str]]:
    """'a, b as c' -> [(a, a), (b, c)] (exported name, local name)."""
    out = []
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        m = re.fullmatch(r"([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?", item)
        if m is None:
            raise ClassicBuildError(f"{where}: cannot translate binding {item!r}")
        out.append((m.group(1), m.group(2) or m.group(1)))
    return out


def translate(path: str, source: str) -> Module:
    """One ES module -> the body of its factory `function (exports, require)`."""
    deps: list[str] = []

    def imported(m: re.Match[str]) -> str:
        dep = _resolve(path, m.group(3))
        deps.append(dep)
        names = ", ".join(
            name if name == local else f"{name}: {local}"
            for name, local in _bindings(m.group(1), path)
        )
        return f"const {{ {names} }} = require({dep!r});"

    body = _IMPORT.sub(imported, source)

    def dynamic(m: re.Match[str]) -> str:
        dep = _resolve(path, m.group(2))
        deps.append(dep)
        return f"Promise.resolve().then(() => require({dep!r}))"

    body = _DYNAMIC.sub(dynamic, body)
    exports: list[tuple[str, str]] = []

    def listed(m: re.Match[str]) -> str:
        exports.extend((exported, local) for local, exported in _bindings(m.group(1), path))
        return ""

    body = _EXPORT_LIST.sub(listed, body)

    def declared(m: re.Match[str]) -> str:
        exports.append((m.group(2), m.group(2)))
        return m.group(1) + m.group(2)

    body = _EXPORT_DECL.sub(declared, body)
    for pattern, what in _REFUSED:
        hit = pattern.search(body)
        if hit is not None:
            line = body.count("\n", 0, hit.start()) + 1
            raise ClassicBuildError(f"{path}:{line}: {what} is not supported by the classic build")
    if re.search(r"\bexport\b\s", body):
        raise ClassicBuildError(f"{path}: an export statement was not translated")
    body = body.replace("import.meta.url", f"new URL({path!r}, portalRoot).href")
    assignments = "".join(f"exports.{exported} = {local};\n" for exported, local in exports)
    return Module(path, body.rstrip() + "\n" + assignments, tuple(dict.fromkeys(deps)))


def collect(entries: tuple[str, ...] = ENTRIES) -> list[Module]:
    """Every module reachable from the entries, dependencies first; cycles refused."""
    done: dict[str, Module] = {}
    order: list[Module] = []

    def visit(path: str, stack: tuple[str, ...]) -> None:
        if path in stack:
            raise ClassicBuildError(f"import cycle: {' -> '.join((*stack, path))}")
        if path in done:
            return
        file = source_file(path)
        if not file.is_file():
            raise ClassicBuildError(f"{stack[-1] if stack else 'entry'}: no module {path}")
        module = translate(path, file.read_text(encoding="utf-8"))
        for dep in module.deps:
            visit(dep, (*stack, path))
        done[path] = module
        order.append(module)

    for entry in entries:
        visit(entry, ())
    return order


HEADER = """\
/* GENERATED by `python -m public_portal.classic` from the ES modules of this portal: do not
 * edit. The same code as the module files, as one classic script for pages opened from disk
 * (file://), where Chromium refuses module scripts and workers. The page's own
 * <script data-classic-entry> tag names the module to run. */
(function () {
  'use strict';
  if (globalThis.FairdrawClassic) return;
  const tag = document.currentScript;
  // This file is <portal>/assets/classic.js; module paths are relative to <portal>/.
  const portalRoot = new URL('..', tag.src).href;
  const factories = Object.create(null);
  const cache = Object.create(null);
  function require(path) {
    if (!(path in cache)) {
      if (!(path in factories)) throw new Error('classic build: no module ' + path);
      const exports = {};
      cache[path] = exports;
      factories[path](exports, require);
    }
    return cache[path];
  }
"""

FOOTER = """\
  globalThis.FairdrawClassic = { require, modules: Object.keys(factories) };
  const entry = tag.dataset.classicEntry;
  if (entry && location.protocol === 'file:') {
    // Like a module script, the page script runs once the document is parsed.
    const run = () => require(entry);
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
    else run();
  }
})();
"""


def render(modules: list[Module]) -> str:
    parts = [HEADER]
    for m in modules:
        # Bodies are not re-indented: that would change multi-line template literals.
        parts.append(f"factories[{m.path!r}] = function (exports, require) {{\n{m.body}}};\n")
    parts.append(FOOTER)
    return "".join(parts)


def build() -> str:
    return render(collect())


def main() -> None:
    OUTPUT.write_text(build(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)\n")


if __name__ == "__main__":
    main()
