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
expect_error "--threads: '0'" --kernel conv2d --threads 0 "${csv[@]}"
expect_error "--threads: '-2'" --kernel conv2d --threads -2 "${csv[@]}"
expect_error "--threads: 'two'" --kernel conv2d --threads two "${csv[@]}"
expect_error "--threads: empty" --kernel conv2d --threads "" "${csv[@]}"
expect_error "--threads: '4-2'" --kernel conv2d --threads 4-2 "${csv[@]}"
expect_error "--reps: '0'" --kernel conv2d --reps 0 "${csv[@]}"
expect_error "--batch: '-1'" --kernel conv2d --batch -1 "${csv[@]}"
expect_error "--min-time: 'x'" --kernel conv2d --min-time x "${csv[@]}"
expect_error "--csv: missing value" --kernel conv2d --csv
expect_error "--csv: directory" --kernel conv2d --csv "$work/no/such/dir/out.csv"
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

# A small real run: exit 0, one header, one PASS row per (shape, variant, threads).
smoke=(--kernel conv2d --shape small --threads 1,2 --reps 2 --min-time 0.002 --csv "$work/smoke.csv")
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

# Skips: with the ISA capped, the avx2 rows are SKIP with the reason, never PASS.
KB_MAX_ISA=scalar "$bench" --kernel conv2d --variant avx2 --shape small --threads 1 \
    --csv "$work/skip.csv" >"$work/skip.out" 2>&1
rc=$?
skips=$(grep -c ',SKIP,.*CPU lacks AVX2' "$work/skip.csv")
n_avx2=$(grep -c '^conv2d .* avx2 ' "$work/list")
if [ "$rc" -eq 0 ] && [ "$skips" -eq $((5 * n_avx2)) ] && ! grep -q ',PASS,' "$work/skip.csv"; then
    pass
else
    fail "ISA skip: rc=$rc, $skips skip rows"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
