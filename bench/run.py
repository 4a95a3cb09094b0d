"""Benchmark reviewbot against Bandit and Semgrep on pinned real-world source distributions.

    python bench/run.py                       # Django, SQLAlchemy, sentry-sdk; 3 runs each
    python bench/run.py --projects django --repeat 1

Downloads the sdists once (pip, from the package registry) into --cache-dir, extracts them into
one corpus folder, then times whole processes: reviewbot cold (no cache), reviewbot warm (cache
primed by the cold run), and, when installed, Bandit (all default plugins) and Semgrep (the local
rule file beside this script covering the same checks). Prints files, lines, median wall seconds,
lines per second, peak memory and the ratio to the faster of Bandit and Semgrep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECTS = {
    "django": "django==5.1.4",
    "sqlalchemy": "sqlalchemy==2.0.36",
    "sentry-sdk": "sentry-sdk==2.19.2",
}
MEASURE = r"""
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-2000:])
print(f"{wall} {peak_kb} {proc.returncode}")
"""


@dataclass
class Measurement:
    tool: str
    walls: list[float]
    peak_mb: float
    exit_codes: list[int]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)


def fetch(cache: Path, names: list[str]) -> Path:
    """Download and extract the pinned sdists; return the corpus folder holding them."""
    cache.mkdir(parents=True, exist_ok=True)
    corpus = cache / "corpus"
    corpus.mkdir(exist_ok=True)
    for name in names:
        target = corpus / name
        if target.is_dir():
            continue
        spec = PROJECTS[name]
        downloads = cache / "sdists"
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, spec, "-d", str(downloads)], check=True)
        version = spec.split("==")[1]
        archive = next(
            p
            for p in downloads.iterdir()
            if p.name.lower().replace("_", "-").startswith(f"{name}-{version}".lower())
        )
        with tempfile.TemporaryDirectory(dir=cache) as tmp, tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
            (inner,) = list(Path(tmp).iterdir())
            shutil.move(str(inner), target)
    # Semgrep skips test folders unless a .semgrepignore exists at the root; keep it fair.
    (corpus / ".semgrepignore").write_text("")
    return corpus


def count(corpus: Path) -> tuple[int, int]:
    files = lines = 0
    for path in corpus.rglob("*"):
        if path.suffix in (".py", ".sql") and path.is_file():
            files += 1
            with path.open("rb") as handle:
                lines += sum(1 for _ in handle)
    return files, lines


def measure(tool: str, command: list[str], repeat: int, env: dict[str, str]) -> Measurement:
    walls: list[float] = []
    peaks: list[int] = []
    codes: list[int] = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, *command],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        wall, peak_kb, code = out.stdout.split()
        walls.append(float(wall))
        peaks.append(int(peak_kb))
        codes.append(int(code))
        if int(code) not in (0, 1):
            print(f"  {tool} exited {code}: {out.stderr.strip()[-500:]}", file=sys.stderr)
    return Measurement(tool, walls, max(peaks) / 1024, codes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--cache-dir", type=Path, default=Path.home() / ".cache" / "reviewbot-bench"
    )
    parser.add_argument("--projects", default=",".join(PROJECTS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()

    names = [n.strip() for n in args.projects.split(",") if n.strip()]
    corpus = fetch(args.cache_dir, names)
    files, lines = count(corpus)
    print(f"corpus: {', '.join(PROJECTS[n] for n in names)}: {files} files, {lines} lines")

    env = dict(os.environ, PYTHONHASHSEED="0", NO_COLOR="1")
    scan = [sys.executable, "-m", "reviewbot", "scan", str(corpus), "--select", "all"]
    scan += ["--format", "json", "--fail-on", "never", "--jobs", str(args.jobs)]
    results: list[Measurement] = []
    cache_dir = corpus / ".reviewbot_cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cold_runs = []
    for _ in range(args.repeat):
        shutil.rmtree(cache_dir, ignore_errors=True)
        cold_runs.append(measure("reviewbot cold", [*scan, "--no-cache"], 1, env))
    results.append(
        Measurement(
            "reviewbot cold",
            [m.walls[0] for m in cold_runs],
            max(m.peak_mb for m in cold_runs),
            [m.exit_codes[0] for m in cold_runs],
        )
    )
    measure("reviewbot prime", scan, 1, env)
    results.append(measure("reviewbot warm", scan, args.repeat, env))

    bandit = shutil.which("bandit")
    if bandit:
        command = [bandit, "-r", str(corpus), "-f", "json", "-o", os.devnull, "-q"]
        results.append(measure("bandit", command, args.repeat, env))
    semgrep = shutil.which("semgrep")
    if semgrep:
        command = [semgrep, "scan", "--config", str(HERE / "semgrep-rules.yml"), "--metrics=off"]
        command += ["--disable-version-check", "--quiet", "--json", "-o", os.devnull]
        command += ["--jobs", str(args.jobs), str(corpus)]
        results.append(
            measure("semgrep", command, args.repeat, dict(env, SEMGREP_SEND_METRICS="off"))
        )

    others = [m.wall for m in results if m.tool in ("bandit", "semgrep")]
    reference = min(others) if others else None
    print(f"{'tool':<16}{'wall s':>9}{'lines/s':>11}{'peak MB':>9}{'ratio':>8}")
    for m in results:
        ratio = f"{m.wall / reference:.2f}" if reference else "-"
        print(f"{m.tool:<16}{m.wall:>9.2f}{lines / m.wall:>11.0f}{m.peak_mb:>9.0f}{ratio:>8}")
    if reference is None:
        print("(install bandit and semgrep to get ratios)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "corpus": {
                        "projects": [PROJECTS[n] for n in names],
                        "files": files,
                        "lines": lines,
                    },
                    "jobs": args.jobs,
                    "results": [
                        {"tool": m.tool, "walls": m.walls, "median": m.wall, "peak_mb": m.peak_mb}
                        for m in results
                    ],
                    "date": time.strftime("%Y-%m-%d"),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
