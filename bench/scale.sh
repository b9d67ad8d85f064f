#!/usr/bin/env bash
# The reports at scale (BENCHMARKS.md, "Reports at scale"): wall time and peak memory
# (/usr/bin/time -v) of `ciu duplicates --format csv --output FILE` and `ciu stats` with
# 0, 100,000 and 1,000,000 records, the registry filled by `ciu bench --seed` (whose
# speed is printed too). Release build, a fresh database per backend.
#
#   bench/scale.sh                     # SQLite and PostgreSQL, 0 / 100k / 1M records
#   bench/scale.sh sqlite              # one backend
#   SIZES="0 10000" bench/scale.sh     # other registry sizes (increasing)
#   SKIP_BUILD=1 bench/scale.sh        # use target/release/ciu as it is
#
# PostgreSQL: a database is created and dropped on BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres). After each seeding it is
# vacuumed and analysed, as autovacuum would soon do after such a load.
set -euo pipefail
cd "$(dirname "$0")/.."

backends=("$@")
[ ${#backends[@]} -eq 0 ] && backends=(sqlite postgres)
read -r -a sizes <<< "${SIZES:-0 100000 1000000}"
postgres_server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export UIC_SALT=${UIC_SALT:-Scale-bench-salt-0123456789-xyz}

[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
ciu=$PWD/target/release/ciu
work=$(mktemp -d)
database=
drop_database() {
    if [ -n "$database" ]; then
        psql "$postgres_server" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"
        database=
    fi
}
trap 'drop_database; rm -rf "$work"' EXIT

# Runs a command under /usr/bin/time -v; prints "seconds peak-MB".
measure() {
    if ! /usr/bin/time -v -o "$work/time" "$@" > "$work/out" 2> "$work/err"; then
        cat "$work/err" "$work/time" >&2
        exit 1
    fi
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
        /Maximum resident set size/ { kb = $2 }
        END { printf "%.2f %.1f\n", s, kb / 1024 }' "$work/time"
}

printf '%-10s %9s  %-10s %8s %9s  %s\n' backend records command seconds "peak MB" note
for backend in "${backends[@]}"; do
    case $backend in
        sqlite) export DATABASE_URL="sqlite://$work/scale.db" ;;
        postgres)
            database=ciu_scale_$$
            psql "$postgres_server" -qc "CREATE DATABASE $database"
            export DATABASE_URL="${postgres_server%/*}/$database"
            ;;
        *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 2 ;;
    esac
    "$ciu" migrate > /dev/null
    records=0
    for size in "${sizes[@]}"; do
        if [ "$size" -gt "$records" ]; then
            read -r seconds peak < <(measure "$ciu" bench --seed $((size - records)))
            rate=$(awk -v n=$((size - records)) -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
            printf '%-10s %9s  %-10s %8s %9s  %s\n' "$backend" "$size" seed "$seconds" "$peak" \
                "+$((size - records)) records, $rate records/s; $(tail -1 "$work/out")"
            records=$size
            if [ "$backend" = postgres ]; then
                psql "$DATABASE_URL" -qc "VACUUM (ANALYZE)"
            fi
        fi
        read -r seconds peak < <(measure "$ciu" duplicates --format csv --output "$work/x.csv")
        printf '%-10s %9s  %-10s %8s %9s  %s\n' "$backend" "$records" duplicates "$seconds" "$peak" \
            "$(($(wc -l < "$work/x.csv") - 1)) pairs"
        read -r seconds peak < <(measure "$ciu" stats)
        printf '%-10s %9s  %-10s %8s %9s  %s\n' "$backend" "$records" stats "$seconds" "$peak" \
            "$(grep -m1 'total' "$work/out")"
    done
    drop_database
done
