"""Animation export timings and file sizes, one JSON line per step.

    python bench/animation_export.py RUN_DIR [--max-frames 60] [--fps 12] [--methods umap,pca]

For each projection method: ``project`` (all frames through the live view's Projector, warm-started),
then ``write`` per format (html, gif, mp4) from those same frames, with the file's size in bytes.
Everything runs on the CPU (UMAP is umap-learn; the drawing is matplotlib), so the numbers on a GPU
machine differ only by its CPU. Run a UMAP export once before timing if the numba cache is cold.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import common  # noqa: F401 - puts the repository on sys.path
from graphcl_core.animation_frames import build_frames  # noqa: E402
from graphcl_core.export_animation import FORMATS, write_animation  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--max-frames", type=int, default=60)
    p.add_argument("--fps", type=float, default=12.0)
    p.add_argument("--methods", default="umap,pca")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        for method in args.methods.split(","):
            t0 = time.perf_counter()
            frames = build_frames(args.run_dir, method, max_frames=args.max_frames)
            seconds = time.perf_counter() - t0
            base = {"run": frames.run_id, "graph": frames.graph, "nodes_shown": len(frames.index),
                    "frames": frames.n_frames, "method": frames.method}
            print(json.dumps({**base, "step": "project", "seconds": round(seconds, 3),
                              "ms_per_frame": round(1000 * seconds / frames.n_frames, 1)}), flush=True)
            for fmt in FORMATS:
                t0 = time.perf_counter()
                out = write_animation(frames, fmt, Path(d) / f"a.{fmt}", fps=args.fps)
                print(json.dumps({**base, "step": "write", "format": fmt,
                                  "seconds": round(time.perf_counter() - t0, 3), "bytes": out.stat().st_size}),
                      flush=True)


if __name__ == "__main__":
    main()
