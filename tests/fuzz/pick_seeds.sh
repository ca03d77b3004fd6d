#!/bin/sh
# Store a small seed set for the CTest replay of one fuzz target:
#
#   tests/fuzz/pick_seeds.sh TARGET [MAX_FILES] [MAX_BYTES]
#
# merges build-fuzz/corpus/fuzz_TARGET (the corpus a campaign grew) into
# the fewest inputs that keep its coverage (libFuzzer -merge=1), then keeps
# at most MAX_FILES (50) of those, spread evenly over their sizes from the
# smallest up, while they fit in MAX_BYTES (2 MB) in all, as
# tests/fuzz/seeds/TARGET/<sha1>.b64.  Every seed is stored
# base64-encoded: a grown corpus holds whatever the mutator made of the
# threat samples, and replay.c decodes *.b64.  Replaces what was there.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${MUGAIKA_FUZZ_BUILD_DIR:-$top/build-fuzz}
t=${1#fuzz_}
max_files=${2:-50}
max_bytes=${3:-2097152}
bin=$build/tests/fuzz/fuzz_$t
corpus=$build/corpus/fuzz_$t
out=$top/tests/fuzz/seeds/$t
[ -x "$bin" ] && [ -d "$corpus" ] || {
	echo "pick_seeds: no $bin or $corpus (run scripts/fuzz first)" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/merged"
cat "$top/tests/lsan.supp" "$top/tests/fuzz/lsan.supp" >"$tmp/lsan.supp"
MUGAIKA_SOURCE_DIR=$top \
    LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0" \
    "$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 "$tmp/merged" "$corpus" \
    >"$tmp/merge.log" 2>&1 || {
	tail -n 20 "$tmp/merge.log"
	exit 1
}
rm -rf "$out"
mkdir -p "$out"
all=$(ls "$tmp/merged" | wc -l)
step=$(((all + max_files - 1) / max_files))
n=0
i=0
total=0
for f in $(ls -S -r "$tmp/merged"); do
	i=$((i + 1))
	[ $(((i - 1) % step)) -eq 0 ] || continue
	size=$(wc -c <"$tmp/merged/$f")
	[ $n -ge "$max_files" ] && break
	[ $((total + size)) -gt "$max_bytes" ] && break
	base64 -w 76 "$tmp/merged/$f" >"$out/$f.b64"
	n=$((n + 1))
	total=$((total + size))
done
echo "pick_seeds: $t: $n of $all merged inputs," \
    "$total bytes, in $out"
