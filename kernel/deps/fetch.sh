#!/bin/sh
# fetch.sh: fetch the pinned third-party sources listed in kernel/deps.lock
# with the ordinary apt client, check their sha256 and unpack them into
# kernel/build/deps/<name>/.
#
# apt runs with a private config dir: deb-src entries are derived at run
# time from this machine's own apt sources (no mirror is named here), and
# the system's sources and lists are left untouched. Only the upstream
# tarball is used (Debian's patches are not needed for the files we build).
#
# Usage: fetch.sh OUTDIR   (OUTDIR: kernel/build/deps)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
lock="$here/../deps.lock"
out=${1:?usage: fetch.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
apt_dir="$out/.apt"

# Turn every "deb" source of the machine into a "deb-src" one.
make_sources() {
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    : > "$apt_dir/sources.list"
    : > "$apt_dir/src.sources"
    if [ -f /etc/apt/sources.list ]; then
        sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
            >> "$apt_dir/sources.list"
    fi
    for f in /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$apt_dir/sources.list"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed 's/^Types:.*$/Types: deb-src/' "$f" >> "$apt_dir/src.sources"
        printf '\n' >> "$apt_dir/src.sources"
    done
    mkdir -p "$apt_dir/parts"
    cp "$apt_dir/src.sources" "$apt_dir/parts/src.sources"
}

apt_private() {
    "$@" -o Dir::Etc::SourceList="$apt_dir/sources.list" \
        -o Dir::Etc::SourceParts="$apt_dir/parts" \
        -o Dir::State::Lists="$apt_dir/lists" \
        -o Dir::Cache="$apt_dir/cache" \
        -o Debug::NoLocking=1 -q
}

check_sha256() {
    file=$1
    want=$2
    got=$(sha256sum "$file" | cut -d' ' -f1)
    if [ "$got" != "$want" ]; then
        echo "fetch.sh: sha256 mismatch for $file: got $got, want $want" >&2
        return 1
    fi
}

fetch_one() {
    name=$1 pkg=$2 version=$3 tarball=$4 sha=$5
    if [ -f "$out/$name/.fetched" ] && [ "$(cat "$out/$name/.fetched")" = "$sha" ]; then
        return 0
    fi
    dl="$out/download"
    mkdir -p "$dl"
    if [ ! -f "$dl/$tarball" ] || ! check_sha256 "$dl/$tarball" "$sha" 2>/dev/null; then
        rm -f "$dl/$tarball"
        if [ ! -f "$apt_dir/updated" ]; then
            make_sources
            apt_private apt-get update >&2
            touch "$apt_dir/updated"
        fi
        (cd "$dl" && apt_private apt-get source --download-only "$pkg=$version" >&2)
    fi
    check_sha256 "$dl/$tarball" "$sha"
    rm -rf "$out/$name" "$out/$name.tmp"
    mkdir -p "$out/$name.tmp"
    tar -xf "$dl/$tarball" -C "$out/$name.tmp" --strip-components=1 --no-same-owner
    echo "$sha" > "$out/$name.tmp/.fetched"
    mv "$out/$name.tmp" "$out/$name"
    echo "fetch.sh: $name $version ok" >&2
}

grep -v '^[[:space:]]*#' "$lock" | grep -v '^[[:space:]]*$' |
while read -r name pkg version tarball sha; do
    fetch_one "$name" "$pkg" "$version" "$tarball" "$sha"
done
