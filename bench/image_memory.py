"""How much memory checking large image proofs takes: peak and settled resident memory of a fresh
process that runs `uploads.check_upload` on one image, or on several at once in threads (as
several members uploading at the same moment would). A benchmark, not a test:

    .venv/bin/python bench/image_memory.py [--at-once 6]

Each case runs in its own process, so one case's freed memory does not hide the next one's.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

CASES = {
    # name: (format, width, height)
    "PNG 6000x6000 (36 MP)": ("PNG", 6000, 6000),
    "PNG 4000x4000 (16 MP)": ("PNG", 4000, 4000),
    "JPEG 8000x6000 (48 MP)": ("JPEG", 8000, 6000),
    "JPEG 4032x3024 (12 MP phone photo)": ("JPEG", 4032, 3024),
}


def make_image(path: Path, fmt: str, width: int, height: int) -> None:
    """A busy picture (it must not compress to nothing), under the 10 MB upload limit."""
    from PIL import Image

    tile = Image.effect_noise((256, 256), 64).convert("RGB")
    image = Image.new("RGB", (width, height), "white")
    for x in range(0, width, 512):
        for y in range(0, height, 512):
            image.paste(tile, (x, y))
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 80} if fmt == "JPEG" else {"compress_level": 9}))
    path.write_bytes(out.getvalue())


def memory_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in MB (Linux). Not
    ru_maxrss: Linux carries that over from the parent process across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(path: Path, at_once: int) -> None:
    """In a child process: check the image `at_once` times in parallel threads, then report."""
    from luckyclub.core.errors import UserError
    from luckyclub.platform import uploads

    data = path.read_bytes()
    before = memory_mb()
    outcomes: list[str] = []

    def check() -> None:
        try:
            checked = uploads.check_upload(path.name, data)
            outcomes.append(f"stored {checked.width}x{checked.height}")
        except UserError as exc:
            outcomes.append(f"refused: {exc.message[:60]}")

    threads = [threading.Thread(target=check) for _ in range(at_once)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peak = memory_mb("VmHWM")
    print(
        f"{len(data) / 1e6:5.1f} MB file, {at_once} at once: "
        f"before {before:6.0f} MB, peak {peak:6.0f} MB, after {memory_mb():6.0f} MB; "
        f"{sorted(set(outcomes))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at-once", type=int, default=6, help="parallel uploads in the last run")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process's file
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure), args.threads)
        return
    with tempfile.TemporaryDirectory() as folder:
        for name, (fmt, width, height) in CASES.items():
            path = Path(folder) / f"proof.{fmt.lower()}"
            make_image(path, fmt, width, height)
            for threads in sorted({1, args.at_once}):
                print(f"{name:36}", end=" ", flush=True)
                command = [sys.executable, __file__, "--measure", str(path)]
                subprocess.run([*command, "--threads", str(threads)], check=True)


if __name__ == "__main__":
    main()
