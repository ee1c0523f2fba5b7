#!/usr/bin/env bash
# The report script runs headless on a small CSV and writes report.md with its
# PNG and SVG figures; a file that is not a bench CSV is refused.
# Usage: test_report.sh path/to/bench path/to/tools/report.py
set -u
bench=$1 report=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

"$bench" --kernel conv2d --direction fwd --shape small --threads 1,2 --reps 2 --min-time 0.002 \
    --csv "$work/run.csv" >/dev/null 2>&1 || fail "bench run"
if MPLBACKEND=Agg /usr/bin/python3 "$report" "$work/run.csv" --out "$work/report" >"$work/log" 2>&1; then
    pass
else
    fail "report: $(tail -3 "$work/log")"
fi
host=$(tail -n +2 "$work/run.csv" | head -1 | cut -d, -f4)
for f in report.md "roofline_$host.png" "roofline_$host.svg" "conv2d_fwd_$host.png" "scaling_$host.png"; do
    if [ -s "$work/report/$f" ]; then pass; else fail "missing $f"; fi
done
if grep -q "| conv2d | fwd | 1 | avx2 |" "$work/report/report.md"; then pass; else fail "summary table"; fi
if grep -q "^topology: PUs in compact order" "$work/report/report.md"; then pass; else fail "machine block with the topology"; fi
# Two machines with one host name (VMs called "vm"): one section and one set
# of figures each, told apart by machine_id.
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "machine_id") c = i; print; next }
    { $c = "0123456789abcdef"; print }' "$work/run.csv" >"$work/twin.csv"
if MPLBACKEND=Agg /usr/bin/python3 "$report" "$work/run.csv" "$work/twin.csv" --out "$work/fleet" \
    >"$work/log" 2>&1 && [ "$(grep -c "^## $host (machine " "$work/fleet/report.md")" -eq 2 ] &&
    [ -s "$work/fleet/roofline_$host-01234567.png" ]; then
    pass
else
    fail "two machines, one host name: $(grep '^## ' "$work/fleet/report.md" 2>&1 | head -4)"
fi
printf 'a,b\n1,2\n' >"$work/other.csv"
if /usr/bin/python3 "$report" "$work/other.csv" --out "$work/x" >"$work/log" 2>&1; then
    fail "a foreign CSV was accepted"
elif grep -q "not a bench CSV" "$work/log"; then
    pass
else
    fail "foreign CSV message: $(cat "$work/log")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
