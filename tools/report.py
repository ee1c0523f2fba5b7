#!/usr/bin/python3
"""A report from one or more bench CSVs: report.md with PNG and SVG figures.

    ./kb report results/FILE.csv [more.csv ...] [--out DIR]

Figures (one set per host when the CSVs come from several machines):
  roofline      GFLOP/s against arithmetic intensity for every timed row with
                flops, under the roof the run measured (peak FMA, triad
                bandwidth) at the highest thread count;
  <kernel>_<direction>   rate per shape grouped by variant, at the lowest
                thread count (GFLOP/s, or GB/s for kernels counted in bytes);
  scaling       median speed-up over the same variant at 1 thread, per
                thread count.
Tables: speed-up over naive and ratio to onednn (medians over shapes), and the
share of the roofline. Needs Debian's python3-pandas and python3-matplotlib
(./kb installs them); runs headless.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def save(fig, out, name):
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, f"{name}.{ext}"), dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f"![{name}]({name}.png)"


def rate_column(group):
    """gflops where the kernel counts flops, else gbps."""
    return "gflops" if group["gflops"].notna().any() else "gbps"


def roofline(rows, out, tag):
    timed = rows[rows["gflops"].notna() & rows["arithmetic_intensity"].notna()]
    if timed.empty:
        return None
    top = timed["threads"].max()
    at_top = timed[timed["threads"] == top]
    peak, bw = at_top["peak_gflops"].max(), at_top["stream_gbps"].max()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ai_min, ai_max = timed["arithmetic_intensity"].min() / 2, timed["arithmetic_intensity"].max() * 2
    xs = [ai_min, peak / bw, ai_max] if ai_min < peak / bw < ai_max else [ai_min, ai_max]
    ax.plot(xs, [min(peak, x * bw) for x in xs], "k-", lw=1.5,
            label=f"roof: {peak:.0f} GFLOP/s, {bw:.0f} GB/s ({top} threads)")
    for variant, group in at_top.groupby("variant", sort=False):
        ax.scatter(group["arithmetic_intensity"], group["gflops"], s=14, label=variant)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (flop / minimum byte)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title(f"roofline, {tag}")
    ax.legend(fontsize=7)
    return save(fig, out, f"roofline_{tag}")


def per_shape(rows, out, tag):
    links = []
    for (kernel, direction), group in rows.groupby(["kernel", "direction"], sort=False):
        group = group[group["threads"] == group["threads"].min()]
        rate = rate_column(group)
        table = group.pivot_table(index="label", columns="variant", values=rate, sort=False)
        if table.empty:
            continue
        fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(table)), 4))
        table.plot.bar(ax=ax, width=0.8)
        ax.set_ylabel("GFLOP/s" if rate == "gflops" else "GB/s")
        ax.set_xlabel("")
        ax.set_title(f"{kernel} {direction}, {int(group['threads'].iloc[0])} thread(s), {tag}")
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(fontsize=7)
        links.append(save(fig, out, f"{kernel}_{direction}_{tag}"))
    return links


def scaling(rows, out, tag):
    base = rows[rows["threads"] == 1].set_index(["kernel", "direction", "variant", "shape", "bind"])
    if base.empty or rows["threads"].nunique() < 2:
        return None, None
    joined = rows.join(base["time_ms_median"].rename("t1"),
                       on=["kernel", "direction", "variant", "shape", "bind"])
    joined["speedup"] = joined["t1"] / joined["time_ms_median"]
    table = joined.groupby(["kernel", "direction", "variant", "threads"])["speedup"].median()
    table = table.unstack("threads")
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, series in table.iterrows():
        if series.notna().sum() > 1:
            ax.plot(series.index, series.values, marker="o", label=" ".join(key))
    ax.set_xlabel("threads")
    ax.set_ylabel("median speed-up over 1 thread")
    ax.set_title(f"thread scaling, {tag}")
    ax.legend(fontsize=6)
    return save(fig, out, f"scaling_{tag}"), table


def md_table(frame, fmt="{:.2f}"):
    frame = frame.copy()
    header = "| " + " | ".join(str(n) for n in frame.index.names) + " | " + \
        " | ".join(str(c) for c in frame.columns) + " |"
    lines = [header, "|" + "---|" * (frame.index.nlevels + len(frame.columns))]
    for key, values in frame.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        cells = ["" if pd.isna(v) else fmt.format(v) for v in values]
        lines.append("| " + " | ".join(str(k) for k in key) + " | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="+")
    parser.add_argument("--out", help="output folder (default results/<first CSV's name>)")
    args = parser.parse_args()
    frames = []
    for path in args.csv:
        try:
            frame = pd.read_csv(path)
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            sys.exit(f"report: {path}: {error}")
        if "time_ms_median" not in frame.columns:
            sys.exit(f"report: {path} is not a bench CSV (no time_ms_median column)")
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["time_ms_median"].notna()].copy()
    if rows.empty:
        sys.exit("report: no timed rows")
    rows["label"] = rows["shape_name"].fillna(rows["shape"])
    out = args.out or os.path.join("results", os.path.splitext(os.path.basename(args.csv[0]))[0])
    os.makedirs(out, exist_ok=True)
    lines = ["# kernbench report", "",
             f"From {', '.join(os.path.basename(p) for p in args.csv)}: {len(rows)} timed rows, "
             f"verdicts {dict(rows['verdict'].value_counts())}.", ""]
    # One section per machine: host name and machine_id (CSVs from before the
    # machine_id column group by host alone). Two machines with one host name
    # (VMs called "vm") get the id in their title and figure names.
    if "machine_id" not in rows.columns:
        rows["machine_id"] = ""
    rows["machine_id"] = rows["machine_id"].fillna("").astype(str)
    machines = rows.groupby(["host", "machine_id"], sort=False)
    hosts_seen = rows.drop_duplicates(["host", "machine_id"])["host"]
    shared = set(hosts_seen[hosts_seen.duplicated()])
    for (host, machine), host_rows in machines:
        tag = f"{host}-{machine[:8]}" if host in shared and machine else str(host)
        if host in shared and not machine:
            tag = f"{host}-unidentified"
        first = host_rows.iloc[0]
        title = f"{host} (machine {machine})" if machine else str(host)
        lines += [f"## {title}", "",
                  f"{first['cpu_model']}, ISA {first['isa']}, commit {first['git_commit']}, "
                  f"runs {', '.join(sorted(host_rows['run_id'].unique()))}.", ""]
        link = roofline(host_rows, out, tag)
        if link:
            lines += ["### Roofline", "", link, ""]
        lines += ["### Rate per shape", ""] + [l + "\n" for l in per_shape(host_rows, out, tag)]
        link, table = scaling(host_rows, out, tag)
        if link:
            lines += ["### Thread scaling (median over shapes of t(1)/t(n))", "", link, "",
                      md_table(table), ""]
        keys = ["kernel", "direction", "threads", "shape", "bind"]
        naive = host_rows[host_rows["variant"] == "naive"].set_index(keys)["time_ms_median"]
        onednn = host_rows[host_rows["variant"] == "onednn"].set_index(keys)["time_ms_median"]
        joined = host_rows.join(naive.rename("naive_ms"), on=keys).join(
            onednn.rename("onednn_ms"), on=keys)
        joined["over_naive"] = joined["naive_ms"] / joined["time_ms_median"]
        joined["vs_onednn"] = joined["onednn_ms"] / joined["time_ms_median"]
        summary = joined.groupby(["kernel", "direction", "threads", "variant"], sort=False)[
            ["over_naive", "vs_onednn", "pct_of_roofline"]].median()
        lines += ["### Medians over shapes: speed-up over naive (1-thread naive where naive is "
                  "single-threaded is not joined), time ratio to onednn (>1 faster), % of roofline",
                  "", md_table(summary), ""]
    # The machine fingerprints (bench's <csv>.machine) of the runs shown.
    runs = set(rows["run_id"])
    blocks = []
    for path in args.csv:
        try:
            with open(path + ".machine") as f:
                text = f.read()
        except OSError:
            continue
        for block in text.split("\n\n"):
            first = block.strip().splitlines()[:1]
            if first and first[0].startswith("run_id: ") and first[0][8:] in runs:
                blocks.append(block.strip())
    if blocks:
        lines += ["## Machines (bench's .machine files: hwloc topology, libraries, probes)", ""]
        for block in blocks:
            lines += ["```", block, "```", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"report: wrote {os.path.join(out, 'report.md')}")


if __name__ == "__main__":
    main()
