#!/usr/bin/env bash
# Upload benchmarks for fwbatch, against the standalone fake API on loopback.
#
# 1. One 900 MiB file: fwbatch submit against curl -F sending the same file
#    to the same server, alternating, ROUNDS rounds each. Fails if fwbatch's
#    median wall time is over 1.10x curl's, or its peak RSS (from
#    /usr/bin/time -v) over 64 MiB.
# 2. 200 small files against a fake that adds 100 ms to every request:
#    --concurrency 8 must be at least 6x faster than --concurrency 1.
#
# Usage: scripts/bench-upload.sh        (ROUNDS=15 SIZE_MIB=900 FILES=200 by default)
# Needs: go, curl, /usr/bin/time (GNU time). Takes about two minutes.
set -euo pipefail

ROUNDS=${ROUNDS:-15}
SIZE_MIB=${SIZE_MIB:-900}
FILES=${FILES:-200}
LATENCY=${LATENCY:-100ms}
MAX_RATIO=1.10
MAX_RSS_KIB=$((64 * 1024))
MIN_SPEEDUP=6

cd "$(dirname "$0")/.."
for tool in go curl /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/fwbatch-bench.XXXXXX")
fake_pid=""
cleanup() {
	if [[ -n $fake_pid ]]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# Any non-empty key works with the fake; never a real one.
export FIREWORKS_API_KEY=bench-not-a-real-key
unset FIREWORKS_BATCH_BASE_URL FWBATCH_HISTORY

echo "== build"
go build -o "$work/fwbatch" .
go build -o "$work/fakeapi" ./submit/fakeapi/cmd/fakeapi
echo "$(go version); $(curl --version | head -1 | cut -d' ' -f1-2); $(nproc) CPUs; $(uname -sr)"

# start_fake ARGS...: starts the standalone fake, sets $url and $fake_pid.
start_fake() {
	stop_fake
	"$work/fakeapi" -addr 127.0.0.1:0 -quiet "$@" >"$work/fake.url" 2>"$work/fake.err" &
	fake_pid=$!
	for _ in $(seq 100); do
		url=$(head -1 "$work/fake.url" 2>/dev/null || true)
		[[ -n $url ]] && return
		sleep 0.05
	done
	echo "bench: the fake did not start: $(cat "$work/fake.err")" >&2
	exit 2
}
stop_fake() {
	if [[ -n $fake_pid ]]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fake_pid=""; fi
}

now_ns() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
echo "== ${SIZE_MIB} MiB upload: curl -F vs fwbatch submit, $ROUNDS rounds each, alternating"
big="$work/big.wav"
{ printf 'RIFF\x24\x00\x00\x00WAVEfmt '; head -c $((SIZE_MIB * 1024 * 1024 - 16)) /dev/urandom; } >"$big"
cat "$big" >/dev/null # both read it from the page cache
start_fake -nohash

: >"$work/curl.times"
: >"$work/fwbatch.times"
: >"$work/fwbatch.rss"
for round in $(seq "$ROUNDS"); do
	t0=$(now_ns)
	code=$(/usr/bin/time -v -o "$work/curl.time" curl -sS -o "$work/curl.out" -w '%{http_code}' \
		-H "Authorization: $FIREWORKS_API_KEY" -F model=whisper-v3 -F response_format=json -F "file=@$big" \
		"$url/v1/audio/transcriptions?endpoint_id=audio-prod")
	t1=$(now_ns)
	[[ $code == 200 ]] || { echo "bench: curl got HTTP $code: $(cat "$work/curl.out")" >&2; exit 1; }
	curl_s=$(secs $((t1 - t0)))
	echo "$curl_s" >>"$work/curl.times"

	rm -rf "$work/hist"
	t0=$(now_ns)
	/usr/bin/time -v -o "$work/fwbatch.time" "$work/fwbatch" submit --base-url "$url" \
		--history "$work/hist/history.jsonl" "$big" >"$work/fwbatch.out" 2>"$work/fwbatch.err" ||
		{ echo "bench: fwbatch failed: $(cat "$work/fwbatch.out" "$work/fwbatch.err")" >&2; exit 1; }
	t1=$(now_ns)
	grep -q ' submitted batch_id=' "$work/fwbatch.out" || { echo "bench: fwbatch did not submit: $(cat "$work/fwbatch.out")" >&2; exit 1; }
	fw_s=$(secs $((t1 - t0)))
	echo "$fw_s" >>"$work/fwbatch.times"
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/fwbatch.time")
	echo "$rss" >>"$work/fwbatch.rss"
	printf 'round %2d: curl %6.3f s   fwbatch %6.3f s   fwbatch peak RSS %6.1f MiB\n' "$round" "$curl_s" "$fw_s" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
done
stop_fake

curl_med=$(median <"$work/curl.times")
fw_med=$(median <"$work/fwbatch.times")
rss_max=$(sort -n "$work/fwbatch.rss" | tail -1)
ratio=$(awk -v a="$fw_med" -v b="$curl_med" 'BEGIN { printf "%.3f", a / b }')
mbps=$(awk -v s="$fw_med" -v m="$SIZE_MIB" 'BEGIN { printf "%.0f", m * 1.048576 / s }')
printf 'median: curl %.3f s, fwbatch %.3f s (%s MB/s): ratio %s (limit %s)\n' "$curl_med" "$fw_med" "$mbps" "$ratio" "$MAX_RATIO"
printf 'fwbatch peak RSS: %.1f MiB, highest of %d rounds (limit %d MiB)\n' "$(awk -v k="$rss_max" 'BEGIN { print k / 1024 }')" "$ROUNDS" $((MAX_RSS_KIB / 1024))
rm -f "$big"

fail=0
if awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r > m) }'; then
	echo "FAIL: fwbatch took ${ratio}x curl's time (limit ${MAX_RATIO}x)"
	fail=1
fi
if ((rss_max > MAX_RSS_KIB)); then
	echo "FAIL: fwbatch's peak RSS ${rss_max} KiB is over $MAX_RSS_KIB KiB"
	fail=1
fi

echo
echo "== $FILES small files, fake adding $LATENCY per request: --concurrency 1 vs 8"
mkdir -p "$work/small"
for i in $(seq -w "$FILES"); do cp testdata/audio/hello.wav "$work/small/f$i.wav"; done
start_fake -latency "$LATENCY"
declare -A took
for c in 1 8; do
	rm -rf "$work/hist"
	t0=$(now_ns)
	"$work/fwbatch" submit --base-url "$url" --history "$work/hist/history.jsonl" --concurrency "$c" "$work/small" \
		>"$work/small.out" 2>"$work/small.err" || { echo "bench: fwbatch failed: $(head -3 "$work/small.err")" >&2; exit 1; }
	t1=$(now_ns)
	n=$(grep -c ' submitted batch_id=' "$work/small.out")
	[[ $n == "$FILES" ]] || { echo "bench: $n of $FILES files submitted" >&2; exit 1; }
	took[$c]=$(secs $((t1 - t0)))
	printf -- '--concurrency %d: %6.3f s for %d files\n' "$c" "${took[$c]}" "$FILES"
done
stop_fake
speedup=$(awk -v a="${took[1]}" -v b="${took[8]}" 'BEGIN { printf "%.2f", a / b }')
echo "speedup: ${speedup}x (at least ${MIN_SPEEDUP}x)"
if awk -v s="$speedup" -v m="$MIN_SPEEDUP" 'BEGIN { exit !(s < m) }'; then
	echo "FAIL: --concurrency 8 is only ${speedup}x faster than --concurrency 1"
	fail=1
fi

echo
if ((fail)); then
	echo "bench: FAILED"
	exit 1
fi
echo "bench: OK"
