#!/usr/bin/env bash
# Builds pg_dump of PostgreSQL 18 from Debian's source package and prints
# its path. The npm build of PostgreSQL 18 has no client tools, Debian 12
# ships pg_dump 15 only (it refuses newer servers), and Debian's own
# postgresql-client-18 needs a newer C library than Debian 12's. pg_dump
# dumps servers of its own major version and older, so the 18 benchmarks
# need this one.
#
#   docs/bench/pg_dump.sh            # builds once, then prints the path
#   PG_DUMP_DIR=/tmp/pgdump18 docs/bench/pg_dump.sh
#
# Needs gcc, make, perl, bison and flex (apt-get install -y bison flex) and
# Debian's package archive. The source package is fetched with a private
# apt configuration; the machine's apt sources are left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${PG_DUMP_DIR:-$root/.cache/pg/pg_dump-18}
if [ -x "$dir/bin/pg_dump" ]; then
	echo "$dir/bin/pg_dump"
	exit 0
fi
for tool in gcc make perl bison flex; do
	command -v "$tool" >/dev/null || { echo "pg_dump.sh: $tool is missing (apt-get install -y bison flex gcc make)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" > "$work/apt/sources.list"
apt=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache")
apt-get "${apt[@]}" update >&2
(cd "$work" && apt-get "${apt[@]}" source --download-only postgresql-18 >&2)
tar -xjf "$work"/postgresql-18_*.orig.tar.bz2 -C "$work"
src=$(echo "$work"/postgresql-18.*/)
(
	cd "$src"
	./configure --prefix="$dir" --without-readline --without-icu --without-zlib --without-zstd --without-lz4 >&2
	# The generated headers first: their rules race under make -j.
	make -C src/backend generated-headers >&2
	make -j2 -C src/bin/pg_dump >&2
	make -C src/bin/pg_dump install >&2
	make -C src/interfaces/libpq install >&2
)
"$dir/bin/pg_dump" --version >&2
echo "$dir/bin/pg_dump"
