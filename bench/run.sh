#!/usr/bin/env bash
# The benchmark of BENCHMARKS.md: release build, server and load tool on this machine,
# a fresh database for every run, the floor measured by the same tool in the same run.
#
#   bench/run.sh                 # SQLite and PostgreSQL, 50 and 500 conversations in flight
#   bench/run.sh sqlite          # one backend
#   CONVERSATIONS=2000 bench/run.sh
#   IN_FLIGHT=50 bench/run.sh sqlite   # one load level only
#
# PostgreSQL: a database is created and dropped on BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres). SERVER_BIN measures another
# build of `ciu serve` (an older commit, say) with this tree's load tool. SERVER_CPUS
# runs the server on those CPUs only (taskset), e.g. SERVER_CPUS=0. FLOW_PATH measures
# another flow file (e.g. a copy without `spelling:`, to measure the spelling rules).
# SEED=N fills each database with N synthetic registrations first (`ciu bench --seed`,
# same flow and salt), to measure on a full registry; SQLite seeds once and copies.
# USSD=1 drives USSD sessions (`ciu bench --ussd` against /ussd) instead of WhatsApp.
set -euo pipefail
cd "$(dirname "$0")/.."

backends=("$@")
[ ${#backends[@]} -eq 0 ] && backends=(sqlite postgres)
conversations=${CONVERSATIONS:-5000}
flow_path=${FLOW_PATH:-$PWD/flows/ciu.yaml}
salt="Benchmark-salt-0123456789-abcdef"
postgres_server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release --quiet
ciu=$PWD/target/release/ciu
server_bin=${SERVER_BIN:-$ciu}
work=$(mktemp -d)
server_pid=
database=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
drop_database() {
    if [ -n "$database" ]; then
        psql "$postgres_server" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"
        database=
    fi
}
trap 'stop_server; drop_database; rm -rf "$work"' EXIT

# With SEED=N: N synthetic registrations in the database at $1.
seed() {
    [ -n "${SEED:-}" ] || return 0
    echo "seeding $SEED records"
    DATABASE_URL="$1" UIC_SALT="$salt" FLOW_PATH="$flow_path" LOCALES_DIR="$PWD/locales" \
        "$ciu" bench --seed "$SEED" | tail -n 1
}

# Starts `ciu serve` on a free port against $1; sets server_pid and webhook.
start_server() {
    (cd "$work" && DATABASE_URL="$1" UIC_SALT="$salt" \
        HOST=127.0.0.1 PORT=0 LOG_JSON=true \
        FLOW_PATH="$flow_path" LOCALES_DIR="$OLDPWD/locales" \
        exec ${USSD:+env CHANNELS=twilio,ussd} ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} "$server_bin" serve >"$work/server.log" 2>&1) &
    server_pid=$!
    for _ in $(seq 1 100); do
        address=$(grep -o '"address":"[^"]*"' "$work/server.log" | cut -d'"' -f4 || true)
        if [ -n "$address" ]; then
            webhook="http://$address/whatsapp/webhook"
            [ -n "${USSD:-}" ] && webhook="http://$address/ussd"
            return 0
        fi
        sleep 0.1
    done
    cat "$work/server.log" >&2
    return 1
}

for backend in "${backends[@]}"; do
    for in_flight in ${IN_FLIGHT:-50 500}; do
        case $backend in
            sqlite)
                rm -f "$work"/bench.db*
                url="sqlite://$work/bench.db"
                if [ -n "${SEED:-}" ]; then
                    [ -f "$work/seeded.db" ] || seed "sqlite://$work/seeded.db"
                    for file in "$work"/seeded.db*; do cp "$file" "${file/seeded/bench}"; done
                fi
                ;;
            postgres)
                database="ciu_bench_$$"
                psql "$postgres_server" -qc "CREATE DATABASE $database"
                url="${postgres_server%/*}/$database"
                seed "$url"
                ;;
            *)
                echo "unknown backend $backend (sqlite or postgres)" >&2
                exit 2
                ;;
        esac
        start_server "$url"
        echo "== $backend, $in_flight in flight ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
        "$ciu" bench ${USSD:+--ussd} --url "$webhook" --conversations "$conversations" \
            --in-flight "$in_flight" --floor --server-pid "$server_pid"
        stop_server
        drop_database
    done
done
