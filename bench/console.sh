#!/usr/bin/env bash
# The staff console's benchmark of BENCHMARKS.md: a registry of SEED synthetic
# registrations (default 1,000,000) with 90 days of daily counters (`ciu bench --seed`),
# `ciu serve` with a console password, then `ciu bench --console`: the dashboard over 30
# and 90 days, REQUESTS times each, one at a time; latency percentiles and page sizes.
#
#   bench/console.sh                  # SQLite and PostgreSQL
#   bench/console.sh sqlite           # one backend
#   SEED=100000 REQUESTS=20 bench/console.sh
#
# PostgreSQL: a database is created and dropped on BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."

backends=("$@")
[ ${#backends[@]} -eq 0 ] && backends=(sqlite postgres)
records=${SEED:-1000000}
requests=${REQUESTS:-50}
salt="Benchmark-salt-0123456789-abcdef"
password="Benchmark-console-2026"
postgres_server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release --quiet
ciu=$PWD/target/release/ciu
work=$(mktemp -d)
server_pid=
database=
cleanup() {
    [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
    [ -n "$database" ] && psql "$postgres_server" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"
    rm -rf "$work"
}
trap cleanup EXIT

for backend in "${backends[@]}"; do
    case $backend in
        sqlite) url="sqlite://$work/console.db" ;;
        postgres)
            database="ciu_console_bench_$$"
            psql "$postgres_server" -qc "CREATE DATABASE $database"
            url="${postgres_server%/*}/$database"
            ;;
        *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 2 ;;
    esac
    echo "== $backend: seeding $records records and 90 days of counters"
    started=$(date +%s)
    DATABASE_URL="$url" UIC_SALT="$salt" FLOW_PATH="$PWD/flows/ciu.yaml" LOCALES_DIR="$PWD/locales" \
        "$ciu" bench --seed "$records" | tail -n 1
    echo "seeded in $(($(date +%s) - started)) s"
    (cd "$work" && DATABASE_URL="$url" UIC_SALT="$salt" CONSOLE_PASSWORD="$password" \
        HOST=127.0.0.1 PORT=0 LOG_JSON=true \
        FLOW_PATH="$OLDPWD/flows/ciu.yaml" LOCALES_DIR="$OLDPWD/locales" \
        exec "$ciu" serve >"$work/server.log" 2>&1) &
    server_pid=$!
    address=
    for _ in $(seq 1 100); do
        address=$(grep -o '"address":"[^"]*"' "$work/server.log" | cut -d'"' -f4 || true)
        [ -n "$address" ] && break
        sleep 0.1
    done
    [ -n "$address" ] || { cat "$work/server.log" >&2; exit 1; }
    echo "== $backend, $records records ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$ciu" bench --console "$password" --console-requests "$requests" --url "http://$address/"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
    server_pid=
    if [ -n "$database" ]; then
        psql "$postgres_server" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"
        database=
    fi
done
