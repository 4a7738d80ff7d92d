#!/usr/bin/env bash
# Builds the PostgreSQL 18 client bundle (pg_dump, pg_restore, pg_dumpall, psql + libpq) from
# Debian's source package, into a cache outside the repository. Reuses the cache when complete.
# Needs: bison flex libssl-dev zlib1g-dev liblz4-dev libzstd-dev patchelf pkg-config make gcc.
set -euo pipefail

PG_MAJOR=18
CACHE_ROOT="${LIFEBOAT_PG_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifeboat/pg-tools}"
OUT="$CACHE_ROOT/$PG_MAJOR"
TOOLS=(pg_dump pg_restore pg_dumpall psql)

if [[ -f "$OUT/.complete" ]]; then
  echo "pg-tools: reusing $OUT ($("$OUT/bin/pg_dump" --version))"
  exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# A private apt configuration so the machine's own sources stay untouched.
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/apt/etc"
echo "deb-src http://deb.debian.org/debian unstable main" > "$WORK/apt/etc/sources.list"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$WORK/apt/etc/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$WORK/apt/lists"
  -o "Dir::Cache=$WORK/apt/cache"
  -o "Debug::NoLocking=1"
)
echo "pg-tools: fetching the postgresql-$PG_MAJOR source package from Debian unstable"
apt-get "${APT_OPTS[@]}" update -qq
(cd "$WORK" && apt-get "${APT_OPTS[@]}" source --download-only -qq "postgresql-$PG_MAJOR")
ORIG="$(ls "$WORK"/postgresql-"$PG_MAJOR"_*.orig.tar.* | head -1)"
mkdir -p "$WORK/src"
tar -xf "$ORIG" -C "$WORK/src" --strip-components=1

echo "pg-tools: configuring and building ($(basename "$ORIG"))"
cd "$WORK/src"
./configure --prefix="$WORK/install" --without-icu --without-readline --with-openssl \
  --with-lz4 --with-zstd --without-perl --without-python --without-tcl >"$WORK/configure.log" 2>&1 \
  || { tail -30 "$WORK/configure.log"; exit 1; }
JOBS="$(nproc)"
make -s -j"$JOBS" -C src/backend generated-headers >/dev/null
for dir in src/common src/port src/fe_utils src/interfaces/libpq src/bin/pg_dump src/bin/psql; do
  make -s -j"$JOBS" -C "$dir" >/dev/null
done

STAGE="$WORK/stage"
mkdir -p "$STAGE/bin" "$STAGE/lib"
for tool in "${TOOLS[@]}"; do
  dir=src/bin/pg_dump; [[ "$tool" == psql ]] && dir=src/bin/psql
  cp "$dir/$tool" "$STAGE/bin/"
done
cp -P src/interfaces/libpq/libpq.so* "$STAGE/lib/"
# Ship every non-glibc library the tools link to, so the bundle runs on any glibc >= 2.34 system.
for tool in "${TOOLS[@]}"; do
  LD_LIBRARY_PATH="$STAGE/lib" ldd "$STAGE/bin/$tool" | awk '/=> \//{print $3}'
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libpq.so*) ;;
    *) cp -L "$lib" "$STAGE/lib/" ;;
  esac
done
for tool in "${TOOLS[@]}"; do patchelf --set-rpath '$ORIGIN/../lib' "$STAGE/bin/$tool"; done
for lib in "$STAGE"/lib/*.so*; do [[ -L "$lib" ]] || patchelf --set-rpath '$ORIGIN' "$lib"; done
strip --strip-unneeded "$STAGE"/bin/* "$STAGE"/lib/*.so* 2>/dev/null || true

"$STAGE/bin/pg_dump" --version
rm -rf "$OUT" && mkdir -p "$CACHE_ROOT"
cp -a "$STAGE" "$OUT"
basename "$ORIG" > "$OUT/SOURCE"
touch "$OUT/.complete"
echo "pg-tools: built $OUT ($(du -sh "$OUT" | cut -f1))"
