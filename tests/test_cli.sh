#!/usr/bin/env bash
# The bench command line end to end: bad requests get one line on stderr that
# names the field, exit status 2 and no CSV; a small run writes a well-formed
# CSV that later runs append to; skips carry their reason.
# Usage: test_cli.sh path/to/bench
set -u
bench=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

pass() { passed=$((passed + 1)); }
# csv_column NAME FILE: the values of column NAME, one per row (by name, so
# adding a column does not shift what a check reads).
csv_column() {
    local col
    col=$(head -1 "$2" | tr ',' '\n' | grep -n "^$1\$" | cut -d: -f1)
    tail -n +2 "$2" | cut -d, -f"${col:-0}"
}
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_error NEEDLE ARGS...: exit 2, exactly one stderr line containing NEEDLE,
# nothing on stdout, and no CSV written.
expect_error() {
    local needle=$1
    shift
    rm -f "$work/out.csv"
    "$bench" "$@" >"$work/stdout" 2>"$work/stderr"
    local rc=$?
    local lines
    lines=$(wc -l <"$work/stderr")
    if [ "$rc" -ne 2 ]; then
        fail "bench $* exited $rc, expected 2"
    elif [ "$lines" -ne 1 ]; then
        fail "bench $* wrote $lines stderr lines, expected 1: $(cat "$work/stderr")"
    elif ! grep -qF -- "$needle" "$work/stderr"; then
        fail "bench $*: stderr lacks '$needle': $(cat "$work/stderr")"
    elif [ -s "$work/stdout" ]; then
        fail "bench $* printed to stdout on error"
    elif [ -e "$work/out.csv" ]; then
        fail "bench $* left a CSV behind"
    else
        pass
    fi
}

csv=(--csv "$work/out.csv")
expect_error "--kernel: missing"
expect_error "--kernel: 'conv3d'" --kernel conv3d
expect_error "unknown option" --kernel conv2d --frobnicate
expect_error "--variant: 'fastest'" --kernel conv2d --variant fastest "${csv[@]}"
expect_error "--variant: empty" --kernel conv2d --variant "" "${csv[@]}"
expect_error "--direction: 'sideways'" --kernel conv2d --direction sideways "${csv[@]}"
expect_error "shape: 'resnet18'" --kernel conv2d --shape resnet18 "${csv[@]}"
expect_error "shape: empty item" --kernel conv2d --shape small, "${csv[@]}"
expect_error "(oh: output size <= 0" --kernel conv2d --shape mb1ic3ih5oc3kh7 "${csv[@]}"
expect_error "(mb: 0 must be >= 1)" --kernel conv2d --shape mb0ic3ih5oc3kh3 "${csv[@]}"
expect_error "(ic: negative" --kernel conv2d --shape mb1ic-3ih5oc3kh3 "${csv[@]}"
expect_error "(descriptor: unexpected" --kernel conv2d --shape mb1ic3ih5oc3kh3xx1 "${csv[@]}"
expect_error "(src (mb*ic*ih*iw): more than 2^40" --kernel conv2d --shape mb16000000ic16000000ih16oc3kh1 "${csv[@]}"
expect_error "(ih: 99999999999999999999999 exceeds" --kernel conv2d --shape mb1ic3ih99999999999999999999999oc3kh1 "${csv[@]}"
expect_error "GiB" --kernel conv2d --shape mb1024ic1024ih256oc16kh1ph0 "${csv[@]}"
expect_error "(algorithm: given twice" --kernel pool2d --shape max_mb1ic3ih5kh3_avg "${csv[@]}"
expect_error "(oh: output size <= 0" --kernel pool2d --shape avg_mb1ic3ih5kh7 "${csv[@]}"
expect_error "(ic: missing" --kernel pool2d --shape max_mb1ih5kh3 "${csv[@]}"
expect_error "(ic: missing" --kernel affine --shape mb2oc3 "${csv[@]}"
expect_error "(mb: 0 must be >= 1)" --kernel affine --shape mb0ic3oc3 "${csv[@]}"
expect_error "(oc: negative" --kernel affine --shape mb1ic3oc-3 "${csv[@]}"
expect_error "(descriptor: unexpected 'ih5'" --kernel affine --shape mb1ic3oc3ih5 "${csv[@]}"
expect_error "(oc: given twice" --kernel affine --shape mb1ic3oc3oc4 "${csv[@]}"
expect_error "(dst (mb*oc): more than 2^40" --kernel affine --shape mb16000000ic1oc16000000 "${csv[@]}"
expect_error "--threads: '0'" --kernel conv2d --threads 0 "${csv[@]}"
expect_error "--threads: '-2'" --kernel conv2d --threads -2 "${csv[@]}"
expect_error "--threads: 'two'" --kernel conv2d --threads two "${csv[@]}"
expect_error "--threads: empty" --kernel conv2d --threads "" "${csv[@]}"
expect_error "--threads: '4-2'" --kernel conv2d --threads 4-2 "${csv[@]}"
expect_error "--reps: '0'" --kernel conv2d --reps 0 "${csv[@]}"
expect_error "--batch: '-1'" --kernel conv2d --batch -1 "${csv[@]}"
expect_error "--min-time: 'x'" --kernel conv2d --min-time x "${csv[@]}"
expect_error "(ic: missing" --kernel softmax --shape mb3 "${csv[@]}"
expect_error "(onehot: softmax has no" --kernel softmax --shape mb3ic4onehot "${csv[@]}"
expect_error "(delta: 1e-35 must be 0 or" --kernel softmax_xent --shape mb3ic4delta1e-35 "${csv[@]}"
expect_error "--direction: 'bwd' is not a direction of softmax" --kernel softmax --direction bwd "${csv[@]}"
expect_error "--csv: missing value" --kernel conv2d --csv
# The flat-tensor kernels' descriptors (n<elems>, optim's rates).
expect_error "(n: 0 must be >= 1)" --kernel relu --shape n0 "${csv[@]}"
expect_error "(descriptor: unexpected" --kernel sigmoid --shape n5mb2 "${csv[@]}"
expect_error "(lr: 0 must be a finite number > 0)" --kernel optim --shape n5lr0 "${csv[@]}"
expect_error "(t: 0 must be >= 1" --kernel optim --direction adam --shape n5t0 "${csv[@]}"
expect_error "--direction: 'fwd' is not a direction of optim" --kernel optim --direction fwd "${csv[@]}"
expect_error "--csv: directory" --kernel conv2d --csv "$work/no/such/dir/out.csv"
expect_error "(descriptor: unexpected" --kernel conv2d --shape "$(printf 'mb1\nc3ih5oc3kh3')" "${csv[@]}"
expect_error "--bind: 'spread'" --kernel conv2d --bind spread "${csv[@]}"
expect_error "--bind: empty item" --kernel conv2d --bind compact, "${csv[@]}"
expect_error "--direction: 'bwd' is not a direction of conv2d" --kernel conv2d --direction bwd "${csv[@]}"

# --topology prints the summary and exits 0 without a kernel.
if "$bench" --topology >"$work/topo" 2>&1 && grep -q "PUs" "$work/topo" && grep -q "^L" "$work/topo"; then
    pass
else
    fail "--topology: $(cat "$work/topo")"
fi
expect_error "(k: missing" --kernel gemm --shape m2n3 "${csv[@]}"
expect_error "(transposes: given twice" --kernel gemm --shape m2n3k4tnnt "${csv[@]}"
expect_error "(beta: expected a number in 'm2n3k4betainf')" --kernel gemm --shape m2n3k4betainf "${csv[@]}"
expect_error "(C (m*n): more than 2^40" --kernel gemm --shape m16777216n16777216k1 "${csv[@]}"
expect_error "--direction: 'bwd'" --kernel gemm --direction bwd "${csv[@]}"
# batchnorm descriptors: one line naming the field.
expect_error "(ic: missing" --kernel batchnorm --shape mb2ih3 "${csv[@]}"
expect_error "(eps: 0 must be > 0)" --kernel batchnorm --shape mb2ic3eps0 "${csv[@]}"
expect_error "(mom: 1.5 must be in [0, 1])" --kernel batchnorm --shape mb2ic3mom1.5 "${csv[@]}"
expect_error "(descriptor: unexpected 'kh3'" --kernel batchnorm --shape mb2ic3kh3 "${csv[@]}"
expect_error "(spatial: given twice" --kernel batchnorm --shape mb2ic3spatialspatial "${csv[@]}"
expect_error "(src (mb*ic*ih*iw): more than 2^40" --kernel batchnorm --shape mb16000000ic16000000ih8 "${csv[@]}"
expect_error "--direction: 'fwd' is not a direction of batchnorm" --kernel batchnorm --direction fwd "${csv[@]}"

# A file with another header is refused and left exactly as it was.
printf 'a,b,c\n1,2,3\n' >"$work/other.csv"
cp "$work/other.csv" "$work/other.orig"
"$bench" --kernel conv2d --shape small --threads 1 --csv "$work/other.csv" >/dev/null 2>"$work/stderr"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "different header" "$work/stderr" && cmp -s "$work/other.csv" "$work/other.orig"; then
    pass
else
    fail "foreign CSV: rc=$rc $(cat "$work/stderr")"
fi

# --help and --list
if "$bench" --help | grep -q "usage: bench"; then pass; else fail "--help"; fi
"$bench" --kernel conv2d --list >"$work/list" 2>&1
if grep -q "naive" "$work/list" && grep -qE "onednn .*(available|absent)" "$work/list"; then
    pass
else
    fail "--list: $(cat "$work/list")"
fi

# optim has no oneDNN row: --list says why, for every rule.
"$bench" --kernel optim --list >"$work/list_optim" 2>&1
if [ "$(grep -c 'onednn .*absent.*oneDNN has no optimizer update primitive' "$work/list_optim")" -eq 6 ]; then
    pass
else
    fail "optim --list: $(grep onednn "$work/list_optim")"
fi

# A small real run: exit 0, one header, one PASS row per (shape, variant, threads).
smoke=(--kernel conv2d --shape small --threads 1,2 --reps 2 --min-time 0.002 --no-probe --csv "$work/smoke.csv")
if "$bench" "${smoke[@]}" >"$work/smoke.out" 2>&1; then pass; else fail "smoke run: $(tail -5 "$work/smoke.out")"; fi
header_count=$(grep -c '^run_id,' "$work/smoke.csv")
rows=$(($(wc -l <"$work/smoke.csv") - 1))
not_pass=$(tail -n +2 "$work/smoke.csv" | grep -vc ',PASS,')
"$bench" --kernel conv2d --list >"$work/list"
n_variants=$(grep -c '^conv2d .* available' "$work/list")
n_single=$(grep -c '^conv2d .* naive .* available' "$work/list")
# Every direction's variants at 1 and 2 threads, except naive (1 thread only);
# 5 shapes in the small set.
expected=$((5 * (2 * n_variants - n_single)))
if [ "$header_count" -eq 1 ] && [ "$rows" -eq "$expected" ] && [ "$not_pass" -eq 0 ]; then
    pass
else
    fail "smoke CSV: $header_count headers, $rows rows (expected $expected), $not_pass not PASS"
fi
columns=$(head -1 "$work/smoke.csv" | awk -F, '{print NF}')
bad_rows=$(awk -F, -v n="$columns" 'NF != n' "$work/smoke.csv" | wc -l)
if [ "$bad_rows" -eq 0 ]; then pass; else fail "$bad_rows rows with a column count other than $columns"; fi
"$bench" "${smoke[@]}" --variant naive --threads 1 >/dev/null 2>&1
header_count=$(grep -c '^run_id,' "$work/smoke.csv")
rows2=$(($(wc -l <"$work/smoke.csv") - 1))
if [ "$header_count" -eq 1 ] && [ "$rows2" -eq $((rows + 5 * n_single)) ]; then pass; else fail "append: $header_count headers, $rows2 rows"; fi

# pool2d end to end: every variant, both directions, on the tails set (one
# PASS or SKIP row each, never FAIL).
if "$bench" --kernel pool2d --shape tails --threads 1,2 --reps 1 --min-time 0.002 \
    --csv "$work/pool.csv" >"$work/pool.out" 2>&1 &&
    [ "$(tail -n +2 "$work/pool.csv" | grep -cE ',(PASS|SKIP),')" -gt 0 ] &&
    ! tail -n +2 "$work/pool.csv" | grep -vqE ',(PASS|SKIP),'; then
    pass
else
    fail "pool2d tails run: $(tail -5 "$work/pool.out")"
fi

# Skips: with the ISA capped, the avx2 rows are SKIP with the reason, never PASS.
KB_MAX_ISA=scalar "$bench" --kernel conv2d --variant avx2 --shape small --threads 1 --no-probe \
    --csv "$work/skip.csv" >"$work/skip.out" 2>&1
rc=$?
skips=$(grep -c ',SKIP,.*CPU lacks AVX2' "$work/skip.csv")
n_avx2=$(grep -c '^conv2d .* avx2 ' "$work/list")
if [ "$rc" -eq 0 ] && [ "$skips" -eq $((5 * n_avx2)) ] && ! grep -q ',PASS,' "$work/skip.csv"; then
    pass
else
    fail "ISA skip: rc=$rc, $skips skip rows"
fi

# With the probes: every timed row carries the roofline, and it is
# min(peak, intensity x bandwidth) of its own columns (to the printed digits).
"$bench" --kernel conv2d --variant avx2 --direction fwd --shape mb1ic16ih14oc16oh14kh3ph1 \
    --threads 1 --bind compact,none --reps 2 --min-time 0.002 --csv "$work/roof.csv" >"$work/roof.out" 2>&1
rc=$?
bad=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { peak = $col["peak_gflops"]; bw = $col["stream_gbps"]; ai = $col["arithmetic_intensity"];
      roof = $col["roofline_gflops"]; pct = $col["pct_of_roofline"]; g = $col["gflops"];
      want = (peak < ai * bw) ? peak : ai * bw;
      if (!(peak > 0 && bw > 0 && roof > 0) || (roof - want) / want > 1e-3 || (want - roof) / want > 1e-3 ||
          (pct - 100 * g / roof) > 0.1 || (100 * g / roof - pct) > 0.1 || $col["ftz_daz"] != "on")
          print }' "$work/roof.csv" | wc -l)
binds=$(csv_column bind "$work/roof.csv" | sort -u | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$binds" = "compact none " ]; then
    pass
else
    fail "roofline columns: rc=$rc, $bad inconsistent rows, binds '$binds'"
fi

# --compare: a run against itself has no regression; a missing file is one line, exit 2.
if "$bench" --compare "$work/smoke.csv" "$work/smoke.csv" >"$work/cmp.out" 2>&1 &&
    grep -q "0 regressed" "$work/cmp.out"; then
    pass
else
    fail "--compare self: $(tail -3 "$work/cmp.out")"
fi
expect_error "--compare: cannot read" --compare "$work/smoke.csv" "$work/none.csv"
expect_error "--compare: needs two" --compare "$work/smoke.csv"
expect_error "--threshold: 'x'" --compare "$work/smoke.csv" "$work/smoke.csv" --threshold x

# --cache warm,cold: one row per cache state; cold is no faster than warm
# for a small case that fits in cache (checked loosely: median ratio).
"$bench" --kernel conv2d --variant avx2 --direction fwd --shape mb1ic16ih14oc16oh14kh3ph1 --threads 1 \
    --cache warm,cold --reps 3 --min-time 0.01 --no-probe --csv "$work/cache.csv" >/dev/null 2>&1
rc=$?
states=$(csv_column cache "$work/cache.csv" | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ "$states" = "warm cold " ]; then pass; else fail "--cache: rc=$rc states '$states'"; fi
expect_error "--cache: 'hot'" --kernel conv2d --cache hot "${csv[@]}"

# --working-set: one shape per level, each within half of the level (DRAM: 4x L3).
"$bench" --kernel softmax --variant naive --shape mb2ic1000 --working-set L1,L2 --threads 1 --reps 1 \
    --min-time 0.001 --no-probe --csv "$work/ws.csv" >"$work/ws.out" 2>&1
rc=$?
labels=$(csv_column shape_name "$work/ws.csv" | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ "$labels" = "shape@L1 shape@L2 " ]; then pass; else fail "--working-set: rc=$rc labels '$labels'"; fi
expect_error "--working-set: 'L4'" --kernel conv2d --working-set L4 "${csv[@]}"

# The machine fingerprint beside the CSV: one block per run, joined by run_id.
runs_in_csv=$(csv_column run_id "$work/smoke.csv" | sort -u | wc -l)
runs_in_machine=$(grep -c '^run_id: ' "$work/smoke.csv.machine")
if [ "$runs_in_csv" -eq "$runs_in_machine" ] && grep -q '^onednn: ' "$work/smoke.csv.machine" &&
    grep -q '^l1d: ' "$work/smoke.csv.machine"; then
    pass
else
    fail "machine sidecar: $runs_in_csv runs in the CSV, $runs_in_machine blocks"
fi

# A run killed midway leaves the rows it finished and no broken line.
"$bench" --kernel relu --shape l1,l2,l3 --threads 1,2 --reps 3 --min-time 0.05 --no-probe \
    --csv "$work/killed.csv" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 1 100); do
    [ -f "$work/killed.csv" ] && [ "$(wc -l <"$work/killed.csv")" -gt 4 ] && break
    sleep 0.05
done
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
columns=$(head -1 "$work/killed.csv" | awk -F, '{print NF}')
broken=$(awk -F, -v n="$columns" 'NF != n' "$work/killed.csv" | wc -l)
rows=$(($(wc -l <"$work/killed.csv") - 1))
if [ "$broken" -eq 0 ] && [ "$rows" -gt 0 ] && [ "$(tail -c 1 "$work/killed.csv" | od -An -c | tr -d ' ')" = '\n' ]; then
    pass
else
    fail "killed run: $rows rows, $broken broken lines"
fi

# --determinism records a verdict per checked row.
"$bench" --kernel conv2d --shape small --threads 1,2 --reps 1 --min-time 0.001 --no-probe \
    --determinism --csv "$work/det.csv" >/dev/null 2>&1
rc=$?
unset_rows=$(csv_column deterministic "$work/det.csv" | grep -vc '^yes')
if [ "$rc" -eq 0 ] && head -1 "$work/det.csv" | grep -q ',deterministic,' && [ "$unset_rows" -eq 0 ]; then
    pass
else
    fail "--determinism: rc=$rc, column '$col', $unset_rows rows not 'yes'"
fi

# --save then --load on the same directory: the variants reproduce the saved
# outputs bit for bit (same inputs, same code); a wrong shape is refused.
one=(--kernel conv2d --direction fwd --shape mb1ic3ih5oc2oh5kh3ph1 --threads 1 --reps 1
     --min-time 0.001 --no-probe --variant naive,avx2)
case_dir="$work/npy/conv2d_fwd_mb1ic3ih5oc2oh5kh3ph1"
if "$bench" "${one[@]}" --csv "$work/save.csv" --save "$work/npy" >/dev/null 2>&1 &&
    [ -f "$case_dir/input_src.npy" ] && [ -f "$case_dir/reference_dst.npy" ] &&
    [ -f "$case_dir/avx2_t1_dst.npy" ]; then
    pass
else
    fail "--save did not write the case: $(ls -R "$work/npy" 2>&1 | head -5)"
fi
mkdir -p "$work/load"
cp "$case_dir"/input_*.npy "$work/load/"
if "$bench" "${one[@]}" --csv "$work/load.csv" --load "$work/load" >/dev/null 2>&1 &&
    cmp -s "$work/load/avx2_t1_dst.npy" "$case_dir/avx2_t1_dst.npy" &&
    cmp -s "$work/load/reference_dst.npy" "$case_dir/reference_dst.npy"; then
    pass
else
    fail "--load did not reproduce the saved outputs"
fi
expect_error "needs (1, 3, 6, 6)" --kernel conv2d --direction fwd --shape mb1ic3ih6oc2oh6kh3ph1 \
    --load "$work/load" "${csv[@]}"
expect_error "input_diff_dst.npy" --kernel conv2d --direction bwd_data --shape mb1ic3ih5oc2oh5kh3ph1 \
    --load "$work/load" "${csv[@]}"
expect_error "exactly one --shape" --kernel conv2d --shape small --load "$work/load" "${csv[@]}"

# --json and --quiet: bad values are refused before anything is written.
expect_error "--json: empty" --kernel conv2d --shape small --json "" "${csv[@]}"
expect_error "--json: cannot write" --kernel conv2d --shape small --json "$work/no/such/dir/x.json" \
    "${csv[@]}"
expect_error "is the CSV file too" --kernel conv2d --shape small --json "$work/out.csv" "${csv[@]}"

# --json FILE replaces FILE whole with Google Benchmark's JSON: each row's
# repetitions plus GB's four aggregates (mean, median, stddev, cv), named
# kernel/direction/shape/variant/threads:T/bind:B/cache:C. --quiet leaves
# stderr empty; stdout has only the table (no banner, no probe lines).
echo "stale" >"$work/run.json"
"$bench" --kernel conv2d --direction fwd --shape small --variant naive,avx2 --threads 1 --reps 2 \
    --min-time 0.002 --quiet --json "$work/run.json" --csv "$work/json.csv" \
    >"$work/json.out" 2>"$work/json.err"
rc=$?
rows=$(($(wc -l <"$work/json.csv") - 1))
if [ "$rc" -eq 0 ] && [ ! -s "$work/json.err" ] && ! grep -qE "^(probe|kernbench) " "$work/json.out" &&
    head -1 "$work/json.out" | grep -q "median_ms" && ! ls "$work"/run.json.tmp.* >/dev/null 2>&1 &&
    python3 - "$work/run.json" "$rows" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = int(sys.argv[2])
runs = doc["benchmarks"]
assert rows > 0 and len(runs) == rows * (2 + 4), (rows, len(runs))
assert all(r["name"].startswith("conv2d/fwd/") and "/threads:1/bind:compact/cache:warm" in r["name"]
           for r in runs)
assert all(r["real_time"] > 0 and "bytes_per_second" in r and "FLOP/s" in r
           for r in runs if r["run_type"] == "iteration")
assert doc["context"]["kernbench_host"]
PY
then
    pass
else
    fail "--json/--quiet: rc=$rc, $rows rows, stderr: $(head -2 "$work/json.err"), json: $(head -c 200 "$work/run.json")"
fi

# Progress: without --quiet (stderr not a terminal) one "[i/N]" line per row,
# N the number of rows written.
"$bench" --kernel conv2d --direction fwd --shape small --variant naive,avx2 --threads 1,2 --reps 1 \
    --min-time 0.002 --no-probe --csv "$work/progress.csv" >/dev/null 2>"$work/progress.err"
rows=$(($(wc -l <"$work/progress.csv") - 1))
if [ "$rows" -gt 0 ] && [ "$(grep -c '^\[[0-9]*/'"$rows"'\] conv2d/fwd/' "$work/progress.err")" -eq "$rows" ] &&
    grep -q "^\[$rows/$rows\] " "$work/progress.err"; then
    pass
else
    fail "progress: $rows rows; stderr: $(tail -3 "$work/progress.err")"
fi

# softmax_xent's book set, both directions, one thread: every row PASS, but
# for the variants the CPU cannot run (a SKIP that says so).
"$bench" --kernel softmax_xent --shape book --threads 1 --reps 2 --min-time 0.002 --no-probe \
    --csv "$work/xent.csv" >"$work/xent.out" 2>&1
rc=$?
rows=$(($(wc -l <"$work/xent.csv") - 1))
not_pass=$(tail -n +2 "$work/xent.csv" | grep -v ',PASS,' | grep -vc ',SKIP,.*the CPU lacks')
if [ "$rc" -eq 0 ] && [ "$rows" -gt 0 ] && [ "$not_pass" -eq 0 ]; then
    pass
else
    fail "softmax_xent book: rc=$rc, $rows rows, $not_pass not PASS: $(tail -3 "$work/xent.out")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
