"""The README's "Checking a draw without trusting us" examples, run as written against a real
demo (issue 13 point 4), and the demo's own claims the README repeats (point 11).

The ```sh blocks of that section are read from README.md and run by bash, one script, in a
directory holding `fairdraw-demo/` as `fairdraw demo --no-serve` made it. Only the two
documented placeholders are replaced: the value of `PORTAL=` (the portal served over real
HTTP by a static file server, then the portal directory, the two forms the README names)
and the value of `DRAW=` (the first id of the portal's data/draws.json). Every command must
exit 0; the files they write are checked, and the recomputed draw must equal the logged one.
`fairdraw` on PATH is this interpreter's CLI; the client state lives in the temporary
directory (XDG_STATE_HOME).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fairdraw.local_processes import free_port

REPO = Path(__file__).resolve().parents[2]
SECTION = "## Checking a draw without trusting us"
PLACEHOLDERS = ("PORTAL", "DRAW")


def readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end != -1 else None]
    return list(re.findall(r"```sh\n(.*?)```", section, flags=re.S))


def substitute(script: str, values: dict[str, str]) -> str:
    """Replace the value of each `NAME=value` placeholder line (and only those)."""
    out = []
    seen = []
    for line in script.splitlines():
        m = re.match(r"(\w+)=(\S+)(\s+#.*)?$", line)
        if m and m.group(1) in PLACEHOLDERS:
            seen.append(m.group(1))
            out.append(f"{m.group(1)}={values[m.group(1)]}")
        else:
            out.append(line)
    assert sorted(seen) == sorted(PLACEHOLDERS), f"README placeholders: {seen}"
    return "\n".join(out) + "\n"


def commands(script: str) -> list[str]:
    """The script's commands: backslash continuations joined, blank lines dropped."""
    joined = script.replace("\\\n", " ")
    return [c for c in joined.splitlines() if c.strip()]


def test_readme_examples_are_there_with_their_placeholders() -> None:
    blocks = readme_examples()
    assert len(blocks) == 2
    script = "\n".join(blocks)
    substitute(script, {"PORTAL": "P", "DRAW": "D"})
    for needed in ("fairdraw trust show", "fairdraw verify $PORTAL", "--draw $DRAW",
                   "fairdraw audit", "fairdraw assignments", "fairdraw bundle $DRAW",
                   "--inputs inputs", "fairdraw recompute", "--experts inputs/experts.jsonl",
                   "cp fairdraw-demo/portal/trust.json trust.json"):
        assert needed in script, needed


def _shim(bin_dir: Path) -> None:
    bin_dir.mkdir()
    exe = bin_dir / "fairdraw"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c '
                   f'"from fairdraw.cli import main; main()" "$@"\n')
    exe.chmod(0o755)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    """(work dir holding fairdraw-demo/, environment, the demo's stderr)."""
    work = tmp_path_factory.mktemp("readme")
    _shim(work / "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env.update(PATH=f"{work / 'bin'}{os.pathsep}{env.get('PATH', '')}", COLUMNS="200",
               XDG_STATE_HOME=str(work / "state"))
    r = subprocess.run(["fairdraw", "demo", "--no-serve", "--out", "fairdraw-demo"], cwd=work,
                       env=env, capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-4000:])
    return work, env, r.stderr


@pytest.fixture(scope="module")
def served(demo: tuple[Path, dict[str, str], str]) -> Iterator[str]:
    """The demo directory on a plain static file server: the portal URL."""
    work = demo[0]
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1", "--directory", str(work / "fairdraw-demo")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/portal/"
    deadline = time.monotonic() + 15
    while True:
        try:
            if requests.get(url + "trust.json", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "static server did not start"
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


def _computed(entry: dict) -> dict:
    return {k: entry[k] for k in ("seed", "strata", "unmatched", "selected")}


@pytest.mark.slow
@pytest.mark.parametrize("form", ["url", "directory"])
def test_readme_examples_run_against_a_demo(demo: tuple[Path, dict[str, str], str],
                                            served: str, form: str) -> None:
    work, env, _ = demo
    draws = json.loads((work / "fairdraw-demo/portal/data/draws.json").read_text())["draws"]
    portal = served if form == "url" else "fairdraw-demo/portal"
    script = substitute("\n".join(readme_examples()),
                        {"PORTAL": portal, "DRAW": draws[0]["draw_id"]})
    run = work / form
    run.mkdir()
    (run / "fairdraw-demo").symlink_to(work / "fairdraw-demo")
    for command in commands(script):
        r = subprocess.run(["bash", "-c", f"set -u; {_assignments(script)}{command}"], cwd=run,
                           env=env, capture_output=True, text=True, timeout=600, check=False)
        assert r.returncode == 0, (command, r.stdout[-3000:], r.stderr[-3000:])
        if command.startswith("fairdraw verify $PORTAL --trust trust.json") and \
                "--draw" not in command:
            for d in draws:  # the listing the README points to for draw ids
                assert f"draw {d['draw_id']}: pass" in r.stdout
        if command.startswith("fairdraw trust show"):
            assert "fingerprint 指纹" in r.stdout
    assert (run / "heshan.xlsx").stat().st_size > 0
    assert (run / "draw.json").stat().st_size > 0
    result = json.loads((run / "inputs/result.json").read_text())
    assert result["draw_id"] == draws[0]["draw_id"]
    assert json.loads((run / "recomputed.json").read_text()) == _computed(result)


def _assignments(script: str) -> str:
    """The placeholder assignments, repeated before each command (each runs in its own bash)."""
    lines = [c for c in commands(script) if re.match(rf"({'|'.join(PLACEHOLDERS)})=", c)]
    return "".join(f"{line}; " for line in lines)


@pytest.mark.slow
def test_demo_output_matches_what_the_readme_says(demo: tuple[Path, dict[str, str], str]
                                                 ) -> None:
    work, _, stderr = demo
    text = " ".join(stderr.split())  # rich wraps long lines
    assert "14000 units (700 defunct)" in text  # README: 14,000 unit records, 700 defunct
    draws = json.loads((work / "fairdraw-demo/portal/data/draws.json").read_text())["draws"]
    assert len(draws) == 3
    for d in draws:  # every batch's own round, not the first one's
        assert f"{d['draw_id']} (beacon round {d['round']})" in text
    rounds = sorted({d["round"] for d in draws})
    assert f"round{'s' if len(rounds) > 1 else ''} {', '.join(map(str, rounds))} verified" in text
    assert "margin 4 s: the demo's margin is 4 s, not DESIGN's default 60 s" in text
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "14,000 unit records: 13,300 active and 700 defunct" in readme
    assert "commitment margin (cosignatures before the round) is 4 s" in readme
