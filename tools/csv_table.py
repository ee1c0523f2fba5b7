#!/usr/bin/env python3
"""Markdown tables from a bench CSV: GFLOP/s per layer and variant, with the
ratio to the onednn row of the same run, for each direction and thread count;
then the summary figures the issues ask for (best own variant vs onednn at one
thread, omp_tiled thread scaling). Standard library only.

    tools/csv_table.py results/<host>-<date>-conv2d.csv [--run RUN_ID]
"""
import argparse
import csv
import statistics
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--run", help="only rows of this run_id (default: the last run in the file)")
    args = parser.parse_args()
    with open(args.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{args.csv}: no rows")
    run = args.run or rows[-1]["run_id"]
    rows = [r for r in rows if r["run_id"] == run]
    if not rows:
        sys.exit(f"{args.csv}: no rows with run_id {run}")
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    shapes = list(dict.fromkeys(r["shape"] for r in rows))
    label = {r["shape"]: r["shape_name"] or r["shape"] for r in rows}
    index = {(r["direction"], r["threads"], r["shape"], r["variant"]): r for r in rows}
    directions = list(dict.fromkeys(r["direction"] for r in rows))
    threads = sorted(set(r["threads"] for r in rows), key=int)
    print(f"run {run} on {rows[0]['host']} ({rows[0]['cpu_model']}), commit {rows[0]['git_commit']}")
    for d in directions:
        for t in threads:
            print(f"\n### {d}, {t} thread(s): GFLOP/s (ratio to onednn)\n")
            print("| layer | " + " | ".join(variants) + " |")
            print("|---|" + "---|" * len(variants))
            for shape in shapes:
                cells = []
                for v in variants:
                    r = index.get((d, t, shape, v))
                    if r is None:
                        cells.append("–")
                    elif not r["gflops"]:
                        cells.append(r["verdict"])
                    else:
                        ratio = f" ({float(r['ratio_to_onednn']):.2f})" if r["ratio_to_onednn"] and v != "onednn" else ""
                        mark = "" if r["verdict"] == "PASS" else f" {r['verdict']}"
                        cells.append(f"{float(r['gflops']):.1f}{ratio}{mark}")
                print(f"| {label[shape]} | " + " | ".join(cells) + " |")
    verdicts = [r["verdict"] for r in rows]
    print("\nverdicts: " + ", ".join(f"{v} {verdicts.count(v)}" for v in sorted(set(verdicts))))
    cvs = [float(r["cv_pct"]) for r in rows if r["cv_pct"]]
    if cvs:
        print(f"cv% over rows: median {statistics.median(cvs):.1f}, max {max(cvs):.1f}")
    for d in directions:
        ratios = []
        for shape in shapes:
            one = index.get((d, "1", shape, "onednn"))
            own = [float(index[k]["gflops"]) for k in index
                   if k[:3] == (d, "1", shape) and k[3] != "onednn" and index[k]["gflops"]
                   and index[k]["verdict"] == "PASS"]
            if one and one["gflops"] and own:
                ratios.append(max(own) / float(one["gflops"]))
        if ratios:
            print(f"{d}: best own variant / onednn at 1 thread: min {min(ratios):.2f}, "
                  f"median {statistics.median(ratios):.2f}, >= 0.40 on {sum(x >= 0.4 for x in ratios)}/{len(ratios)} layers")
        for v in variants:
            speedups = []
            for shape in shapes:
                a, b = index.get((d, "1", shape, v)), index.get((d, "2", shape, v))
                if a and b and a["gflops"] and b["gflops"]:
                    speedups.append(float(b["gflops"]) / float(a["gflops"]))
            if speedups and v == "omp_tiled":
                print(f"{d}: {v} 2-thread / 1-thread: median {statistics.median(speedups):.2f}, "
                      f"min {min(speedups):.2f}, max {max(speedups):.2f}, >= 1.8 on "
                      f"{sum(x >= 1.8 for x in speedups)}/{len(speedups)} layers")


if __name__ == "__main__":
    main()
