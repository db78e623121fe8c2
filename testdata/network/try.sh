#!/usr/bin/env bash
# Tries fwbatch against real network parts in front of the fake API: nginx
# (TLS with a self-signed certificate, a small body limit), squid and
# tinyproxy (HTTPS proxies that want credentials), and a proxy that is down.
# Needs nginx, squid, tinyproxy and openssl (apt-get install -y nginx squid
# tinyproxy); nothing here runs in CI. See README.md.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=$(mktemp -d /tmp/fwbatch-network.XXXXXX)
chmod 777 "$dir" # squid's helpers run as the proxy user
# Not loopback: Go's client sends requests for loopback hosts past any proxy.
key=fw_netTEST0123456789abcdef # the fake wants it; a one-letter key would be redacted from every message
host=${HOST:-$(hostname -I | awk '{print $1}')}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
fill() { sed -e "s|@DIR@|$dir|g" -e "s|@HOST@|$host|g" "$here/$1" >"$dir/$1"; }

cd "$repo" || exit 2
go build -o "$dir/fwbatch" . && go build -o "$dir/fakeapi" ./submit/fakeapi/cmd/fakeapi || exit 2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=fwbatch-test \
	-addext "subjectAltName=IP:$host" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null || exit 2
"$dir/fakeapi" -addr 127.0.0.1:28080 -key "$key" -quiet >/dev/null &
pids+=($!)
fill nginx.conf
nginx -e "$dir/nginx-error.log" -c "$dir/nginx.conf" &
pids+=($!)
fill squid.conf
squid -N -f "$dir/squid.conf" 2>"$dir/squid.err" &
pids+=($!)
fill tinyproxy.conf
tinyproxy -d -c "$dir/tinyproxy.conf" 2>"$dir/tinyproxy.err" &
pids+=($!)
sleep 3

small=$repo/testdata/audio/hello.wav
big=$dir/big.wav # 2 MB: over nginx's 1m limit, and sent with Expect: 100-continue
printf 'RIFF\x24\x00\x00\x00WAVEfmt ' >"$big"
truncate -s 2M "$big"

# run WHAT VAR=value... -- fwbatch args: one fwbatch command, with a clean
# environment, its output indented, then its exit status.
run() {
	local what=$1
	shift
	local vars=()
	while [ "$1" != "--" ]; do
		vars+=("$1")
		shift
	done
	shift
	echo "== $what"
	env -i PATH="$PATH" HOME="$dir" FIREWORKS_API_KEY="$key" FWBATCH_HISTORY="$dir/history.jsonl" \
		XDG_CONFIG_HOME="$dir/config" "${vars[@]}" "$dir/fwbatch" "$@" 2>&1 | sed 's/^/   /'
	echo "   exit ${PIPESTATUS[0]}"
}

tls=https://$host:28443
run "nginx TLS, certificate not trusted" FIREWORKS_BATCH_BASE_URL="$tls" -- submit "$small"
run "nginx TLS, trusted with SSL_CERT_FILE" FIREWORKS_BATCH_BASE_URL="$tls" SSL_CERT_FILE="$dir/cert.pem" -- submit "$small"
run "http:// to nginx's TLS port" FIREWORKS_BATCH_BASE_URL="http://$host:28443" -- submit "$small"
run "https:// to a plain-HTTP port" FIREWORKS_BATCH_BASE_URL="https://$host:28081" -- submit "$small"
run "nginx client_max_body_size 1m: 413" FIREWORKS_BATCH_BASE_URL="http://$host:28081" -- submit "$big"
run "squid, no credentials: 407 to CONNECT" FIREWORKS_BATCH_BASE_URL="$tls" SSL_CERT_FILE="$dir/cert.pem" \
	HTTPS_PROXY=http://127.0.0.1:23128 -- submit "$small"
run "squid, no credentials: 407 to plain HTTP" FIREWORKS_BATCH_BASE_URL="http://$host:28081" \
	HTTP_PROXY=http://127.0.0.1:23128 -- submit "$small"
run "squid with credentials" FIREWORKS_BATCH_BASE_URL="$tls" SSL_CERT_FILE="$dir/cert.pem" \
	HTTPS_PROXY=http://fw:secret@127.0.0.1:23128 -- submit "$big"
run "tinyproxy, no credentials: 407 to CONNECT" FIREWORKS_BATCH_BASE_URL="$tls" SSL_CERT_FILE="$dir/cert.pem" \
	HTTPS_PROXY=http://127.0.0.1:28888 -- submit "$small"
run "tinyproxy with credentials" FIREWORKS_BATCH_BASE_URL="$tls" SSL_CERT_FILE="$dir/cert.pem" \
	HTTPS_PROXY=http://fw:secret@127.0.0.1:28888 -- submit "$big"
run "a proxy that is down" FIREWORKS_BATCH_BASE_URL="$tls" SSL_CERT_FILE="$dir/cert.pem" \
	HTTPS_PROXY=http://fw:secret@127.0.0.1:1 -- submit "$small"
run "status of every pending job, through squid" FIREWORKS_BATCH_BASE_URL="$tls" SSL_CERT_FILE="$dir/cert.pem" \
	HTTPS_PROXY=http://fw:secret@127.0.0.1:23128 -- status
