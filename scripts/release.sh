#!/usr/bin/env bash
# Release builds for the boxes fwbatch runs on.
#
#   scripts/release.sh VERSION          e.g. scripts/release.sh v1.2.0
#
# Builds static binaries (CGO_ENABLED=0, -trimpath, VERSION, commit and commit
# date stamped with -ldflags) for linux/amd64, linux/arm64, darwin/amd64,
# darwin/arm64 and freebsd/amd64, each packed with the README, the man page and
# the shell completion scripts as $OUT/fwbatch_VERSION_OS_ARCH.tar.gz, and
# writes $OUT/SHA256SUMS.
#
# The archives are reproducible: the same commit, VERSION and Go toolchain give
# the same bytes (sorted entries, owner 0, the commit's time as every mtime,
# gzip -n, no build ids or paths). The script checks it: it builds the
# linux/amd64 archive again from a fresh copy of the source with an empty build
# cache and fails if a byte differs.
#
# Environment: OUT (default dist), TARGETS (default all five, as OS/ARCH),
# VERIFY=0 skips the second build, ALLOW_DIRTY=1 builds a tree with
# uncommitted changes (the version then says so). Needs git, GNU tar, gzip and
# sha256sum.
set -euo pipefail

version=${1:-}
if [[ -z $version || $version == -* || $version == */* || $version =~ [[:space:]] ]]; then
	echo "usage: scripts/release.sh VERSION   (e.g. v1.2.0)" >&2
	exit 2
fi
cd "$(dirname "$0")/.."
root=$(pwd)
out=${OUT:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
targets=${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 freebsd/amd64}

tar --version 2>/dev/null | grep -q 'GNU tar' || { echo "release: needs GNU tar (for --sort=name)" >&2; exit 2; }

commit=$(git rev-parse HEAD)
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
	if [[ ${ALLOW_DIRTY:-0} != 1 ]]; then
		echo "release: the work tree has uncommitted changes; commit them, or set ALLOW_DIRTY=1" >&2
		exit 2
	fi
	commit+="-dirty"
fi
epoch=$(git log -1 --format=%ct)
date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
pkg=github.com/fwbatch/fwbatch/cli
ldflags="-s -w -buildid= -X $pkg.Version=$version -X $pkg.Commit=$commit -X $pkg.Date=$date"

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# Everything is built from one snapshot of the source: the commit (with
# ALLOW_DIRTY=1, the work tree as it is now), whatever happens to the work
# tree meanwhile.
src="$work/src"
mkdir -p "$src"
if [[ $commit == *-dirty ]]; then
	tar --exclude=./.git --exclude=./dist --exclude=./.scratch --exclude="./${out#"$root"/}" -C "$root" -cf - . | tar -C "$src" -xf -
else
	git archive --format=tar HEAD | tar -C "$src" -xf -
fi

# build SRC OS ARCH BIN: one static, stamped binary.
build() {
	(cd "$1" && CGO_ENABLED=0 GOOS=$2 GOARCH=$3 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$4" .)
}

# The man page and completion scripts come from a binary for this machine.
build "$src" "$(go env GOHOSTOS)" "$(go env GOHOSTARCH)" "$work/host/fwbatch"
mkdir -p "$work/extras/completions"
"$work/host/fwbatch" man >"$work/extras/fwbatch.1"
for sh in bash zsh fish; do
	"$work/host/fwbatch" completion "$sh" >"$work/extras/completions/fwbatch.$sh"
done
cp "$src/README.md" "$work/extras/README.md"

# pack SRC OS ARCH DEST: build and pack one archive into DEST.
pack() {
	local name="fwbatch_${version}_$2_$3"
	local stage="$work/stage-$RANDOM$RANDOM/$name"
	mkdir -p "$stage"
	build "$1" "$2" "$3" "$stage/fwbatch"
	cp -r "$work/extras/." "$stage/"
	chmod -R u=rwX,go=rX "$stage"
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=gnu \
		-C "$(dirname "$stage")" -cf - "$name" | gzip -9n >"$4/$name.tar.gz"
}

rm -f "$out"/fwbatch_"$version"_*.tar.gz "$out/SHA256SUMS"
for t in $targets; do
	pack "$src" "${t%/*}" "${t#*/}" "$out"
	echo "release: $out/fwbatch_${version}_${t%/*}_${t#*/}.tar.gz"
done
(cd "$out" && sha256sum fwbatch_"$version"_*.tar.gz >SHA256SUMS)
echo "release: $out/SHA256SUMS"

if [[ ${VERIFY:-1} == 1 ]]; then
	# Again from a copy elsewhere, with an empty build cache: nothing of this
	# machine's paths or earlier builds may reach the bytes.
	copy="$work/elsewhere/fwbatch-src"
	mkdir -p "$copy" "$work/again"
	cp -R "$src/." "$copy/"
	GOCACHE="$work/gocache" GOFLAGS=-modcacherw pack "$copy" linux amd64 "$work/again"
	name="fwbatch_${version}_linux_amd64.tar.gz"
	if ! cmp -s "$out/$name" "$work/again/$name"; then
		echo "release: $name is not reproducible: a second build from a fresh copy differs" >&2
		exit 1
	fi
	echo "release: reproducible: $name built again from a fresh copy with an empty cache is byte for byte the same"
fi
