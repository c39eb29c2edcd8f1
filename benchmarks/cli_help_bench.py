"""CLI start-up benchmark (issue 15): `fairdraw --help` against `import typer, rich`.

Runs, interleaved in the same session, `fairdraw --help` (the installed console script
next to this interpreter, else `python -c "from fairdraw.cli import main; main()"`),
`python -c "import typer, rich"` (the floor: what any typer CLI with rich help pays) and
`python -c pass`, each `--runs` times as fresh processes, and reports the median and
minimum wall time of each and the ratios `fairdraw --help` / typer+rich of the medians
and of the minima (on a busy machine the minima are the steadier figure).
Interleaving keeps a loaded machine from favouring one command. It also lists which heavy
modules `fairdraw --help` imported (none is the goal: SQLAlchemy, requests, FastAPI,
uvicorn, Alembic, openpyxl, cryptography, rich's markdown renderer and the
log/draw/witness packages are imported by the commands that use them).

Usage: python benchmarks/cli_help_bench.py [--runs 15] [--out FILE.json]
Target (issue 15): the ratio of the minima at most 2 (it was about 9 before issue 13,
3.2 after it). Writes benchmarks/results/cli_help_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "cli_help_bench.json"
TARGET_RATIO = 2.0
HEAVY = ("sqlalchemy", "requests", "fastapi", "uvicorn", "alembic", "openpyxl", "cryptography",
         "transparency", "witnesses", "draw_engine", "public_portal", "pydantic", "markdown_it")
PROBE = (
    "import sys\n"
    "sys.argv = ['fairdraw', '--help']\n"
    "from fairdraw.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    f"heavy = {HEAVY!r}\n"
    "import json\n"
    "sys.stderr.write(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n"
)


def fairdraw_command() -> list[str]:
    script = Path(sys.executable).with_name("fairdraw")
    if script.exists():
        return [str(script), "--help"]
    found = shutil.which("fairdraw")
    if found:
        return [found, "--help"]
    return [sys.executable, "-c", "from fairdraw.cli import main; main()", "--help"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=True)
    return time.perf_counter() - start


def heavy_modules(env: dict[str, str]) -> list[str]:
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                       check=True)
    return list(json.loads(r.stderr.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env["COLUMNS"] = "100"
    commands = {
        "fairdraw --help": fairdraw_command(),
        "import typer, rich": [sys.executable, "-c", "import typer, rich"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for cmd in commands.values():  # warm the file cache and .pyc files once
        timed(cmd, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd, env))
    figures: dict[str, Any] = {
        name: {"median_s": round(statistics.median(s), 4), "min_s": round(min(s), 4),
               "runs": len(s)}
        for name, s in samples.items()
    }
    ratio = figures["fairdraw --help"]["median_s"] / figures["import typer, rich"]["median_s"]
    # On a busy machine the medians carry other processes' load; the minima do not.
    ratio_min = figures["fairdraw --help"]["min_s"] / figures["import typer, rich"]["min_s"]
    heavy = heavy_modules(env)
    report = {
        "benchmark": "cli_help_bench",
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "command": commands["fairdraw --help"],
        "figures": figures,
        "ratio_help_to_typer_rich": round(ratio, 2),
        "ratio_of_minima": round(ratio_min, 2),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio_min <= TARGET_RATIO,
        "heavy_modules_imported_by_help": heavy,
    }
    for name, f in figures.items():
        print(f"{name:20s} median {f['median_s']:.3f} s  min {f['min_s']:.3f} s  "
              f"({f['runs']} runs)")
    print(f"ratio fairdraw --help / import typer, rich: {ratio:.2f} (medians), "
          f"{ratio_min:.2f} (minima)")
    print(f"target ratio of minima <= {TARGET_RATIO}: "
          f"{'met' if report['meets_target'] else 'MISSED'}; "
          f"heavy modules imported by --help: {', '.join(heavy) or 'none'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
