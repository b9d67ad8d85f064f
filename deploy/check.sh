#!/usr/bin/env bash
# Checks the deploy/ files for real, as far as this machine allows without a domain:
#   - the systemd unit: `systemd-analyze verify` (any remark fails) and its hardening
#     score (`systemd-analyze security --offline`);
#   - the nginx site: `nginx -t`, then nginx actually running it (self-signed
#     certificate, ports moved to free loopback ports) in front of `ciu serve` in
#     production mode configured from .env.example: redirect, TLS, signed Twilio
#     webhook, 403/413/404, localhost-only /metrics and /whatsapp/cleanup, QR image,
#     X-Request-Id matching the nginx log;
#   - fail2ban's filter on the access log nginx wrote; logrotate (no clash with Debian's
#     nginx rule, and a forced rotation that nginx follows);
#   - the backup and restore scripts on SQLite (service running) and PostgreSQL: every
#     table's row count and `ciu stats` equal after backup + restore; failures exit
#     non-zero; the password is never printed; 30-day retention.
# Missing tools are installed with apt-get. A check that cannot run is reported, and
# fails the run when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

work=$(mktemp -d)
chmod 755 "$work"
started_pids=()
postgres_databases=()
postgres_roles=()
nginx_conf=""
skipped=()

step() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
die() {
    printf 'deploy/check.sh: FAILED: %s\n' "$*" >&2
    exit 1
}
skip() {
    printf '   SKIPPED: %s\n' "$*" >&2
    skipped+=("$*")
    if [ "${CI:-}" = "true" ]; then die "cannot run in CI: $*"; fi
}

cleanup() {
    local status=$?
    if [ -n "$nginx_conf" ] && [ -f "$work/nginx/nginx.pid" ]; then
        nginx -p "$work/nginx" -c "$nginx_conf" -s quit 2>/dev/null || true
    fi
    for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for db in "${postgres_databases[@]}"; do
        psql_admin -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    for role in "${postgres_roles[@]}"; do
        psql_admin -qc "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
    done
    if [ $status -ne 0 ]; then
        for log in "$work"/*/serve.log "$work"/nginx/logs/*.log; do
            [ -f "$log" ] && { echo "--- $log (end)"; tail -n 20 "$log"; }
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

psql_admin() { psql -X -h 127.0.0.1 -U postgres -d postgres "$@"; }

# ---------------------------------------------------------------------------------
step "tools"
declare -A package_of=(
    [nginx]=nginx [openssl]=openssl [curl]=curl [sqlite3]=sqlite3 [gzip]=gzip
    [fail2ban-regex]=fail2ban [logrotate]=logrotate [systemd-analyze]=systemd
    [shellcheck]=shellcheck
    [pg_dump]=postgresql-client [psql]=postgresql-client
)
missing=()
for tool in "${!package_of[@]}"; do
    command -v "$tool" >/dev/null || missing+=("${package_of[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "   installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        skip "cannot install ${missing[*]}: needs root and apt-get"
    # RUNLEVEL=1: install only, start no service (nginx, fail2ban) on this machine.
    elif ! { apt-get update -qq && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$work/apt.log" 2>&1; then
        cat "$work/apt.log" >&2
        skip "apt-get could not install ${missing[*]}"
    fi
fi
have() { command -v "$1" >/dev/null; }

bin=${CIU_BIN:-}
if [ -z "$bin" ]; then
    cargo build --quiet --bin ciu
    bin=$root/target/debug/ciu
fi
[ -x "$bin" ] || die "no ciu binary at $bin"
ok "ciu binary: $bin"

free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

# ---------------------------------------------------------------------------------
# One `ciu serve` in production mode, configured as the guide says: .env.example
# copied to .env and filled in.
readonly public_base_url=https://votre-domaine.cd
readonly twilio_token=check-twilio-auth-token-0123456789
readonly admin_token=check-admin-token-0123456789abcdef
readonly console_password=Check-Console-Password-2026

write_env() { # directory database_url port
    local env="$1/.env" salt
    salt=$("$bin" salt | sed -n 's/^UIC_SALT="\(.*\)"$/\1/p')
    [ ${#salt} -ge 16 ] || die "ciu salt printed no UIC_SALT line"
    cp "$root/.env.example" "$env"
    chmod 600 "$env"
    set_env() { sed -i "s|^$1=.*|$1=\"$2\"|" "$env"; grep -q "^$1=\"$2\"$" "$env" || die ".env.example has no $1= line"; }
    set_env UIC_SALT "$salt"
    set_env ADMIN_TOKEN "$admin_token"
    set_env CONSOLE_PASSWORD "$console_password"
    set_env DATABASE_URL "$2"
    set_env TWILIO_AUTH_TOKEN "$twilio_token"
    set_env PUBLIC_BASE_URL "$public_base_url"
    set_env PORT "$3"
    set_env FLOW_PATH "$root/flows/ciu.yaml"
    set_env LOCALES_DIR "$root/locales"
    set_env ENABLE_QR_CODE True
    set_env LOG_JSON False
}

start_app() { # name database_url → sets app_dir, app_port
    app_dir="$work/$1"
    app_port=$(free_port)
    mkdir -p "$app_dir"
    write_env "$app_dir" "$2" "$app_port"
    # Only the .env configures it, as under systemd.
    (cd "$app_dir" && exec env -i PATH="$PATH" "$bin" serve) >"$app_dir/serve.log" 2>&1 &
    started_pids+=($!)
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$app_port/health" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "ciu serve ($1) did not become healthy"
}

# X-Twilio-Signature of the webhook URL Twilio is configured with, over the parameters.
sign() {
    local data="$public_base_url/whatsapp/webhook" pair
    while IFS= read -r pair; do
        data+="${pair%%=*}${pair#*=}"
    done < <(printf '%s\n' "$@" | LC_ALL=C sort)
    printf '%s' "$data" | openssl dgst -sha1 -hmac "$twilio_token" -binary | openssl base64 -A
}

say() { # url phone text [MessageSid] → TwiML on stdout (curl options from curl_tls)
    local url=$1 phone=$2 text=$3 sid=${4:-SM$(date +%s%N)$RANDOM}
    local params=("From=whatsapp:$phone" "Body=$text" "MessageSid=$sid" "NumMedia=0")
    local form=() param
    for param in "${params[@]}"; do form+=(--data-urlencode "$param"); done
    curl -sS --fail-with-body "${curl_tls[@]}" -H "X-Twilio-Signature: $(sign "${params[@]}")" "${form[@]}" "$url"
}

converse() { # url phone answers... → the last reply
    local url=$1 phone=$2 reply
    shift 2
    say "$url" "$phone" "Bonjour" >/dev/null
    say "$url" "$phone" "1" >/dev/null
    for answer in "$@"; do say "$url" "$phone" "$answer" >/dev/null; done
    reply=$(say "$url" "$phone" "oui")
    [[ $reply == *'```'*'```'* ]] || die "no code at the end of the conversation: $reply"
    printf '%s' "$reply"
}

# Three people, one of them again from another phone, a one-letter slip of the first
# (a possible duplicate), a conversation left half-way and a redelivered message:
# every table the webhook writes has rows.
fill() { # webhook url
    local url=$1
    converse "$url" +243990000001 1985 Kinshasa Jean 15 Kabila >/dev/null
    converse "$url" +243990000006 1985 Kinshasa Jean 15 Kabika >/dev/null
    converse "$url" +243990000002 1990 Lubumbashi Marie 3 Mbuyi >/dev/null
    converse "$url" +243990000003 1978 Kisangani Paul 21 Tshisekedi >/dev/null
    converse "$url" +243990000004 1985 Kinshasa Jean 15 Kabila >/dev/null
    say "$url" +243990000005 "Bonjour" >/dev/null
    say "$url" +243990000005 "1" "SMcheck-redelivered" >/dev/null
    # The same MessageSid again: a redelivery.
    say "$url" +243990000005 "1" "SMcheck-redelivered" >/dev/null
}

# The staff console's sign-in: the form's token comes with a cookie kept in the jar.
console_form() { # base url, cookie jar → the sign-in form's token
    curl -sS "${curl_tls[@]}" -c "$2" -b "$2" "$1/console/connexion" |
        sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p'
}
console_sign_in() { # base url, cookie jar → the response headers (a session row is stored)
    curl -sS -D - -o /dev/null "${curl_tls[@]}" -c "$2" -b "$2" \
        --data-urlencode "password=$console_password" --data-urlencode "csrf=$(console_form "$1" "$2")" \
        "$1/console/connexion"
}
signed_in_or_die() { # response headers
    grep -qi '^set-cookie: ciu_console=' <<<"$1" || die "no console session cookie: $1"
}

curl_tls=()

# ---------------------------------------------------------------------------------
step "shell scripts"
if have shellcheck; then
    shellcheck -x deploy/*.sh deploy/backup/*.sh || die "shellcheck found problems in deploy/"
    ok "shellcheck: deploy/*.sh deploy/backup/*.sh"
else
    skip "shellcheck is not installed"
fi

# ---------------------------------------------------------------------------------
step "systemd unit"
if have systemd-analyze; then
    mkdir -p "$work/unit"
    touch "$work/unit/.env"
    unit="$work/unit/ciu-whatsapp.service"
    # The real unit, pointed at this build: verify checks that ExecStart exists.
    sed -e "s#^ExecStart=/opt/ciu-whatsapp/ciu #ExecStart=$bin #" \
        -e "s#^WorkingDirectory=/opt/ciu-whatsapp\$#WorkingDirectory=$work/unit#" \
        -e "s#^EnvironmentFile=/opt/ciu-whatsapp/.env\$#EnvironmentFile=$work/unit/.env#" \
        deploy/ciu-whatsapp.service >"$unit"
    [ "$(grep -c -F -e "$work" -e "$bin" "$unit")" -eq 3 ] || die "the unit's ExecStart/WorkingDirectory/EnvironmentFile lines changed: update deploy/check.sh"
    remarks=$(systemd-analyze verify "$unit" 2>&1) || die "systemd-analyze verify: $remarks"
    [ -z "$remarks" ] || die "systemd-analyze verify has remarks: $remarks"
    ok "systemd-analyze verify: no remark"
    score=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>&1 | tail -n 1) ||
        die "hardening weaker than 2.0: $score"
    ok "hardening: ${score#→ }"
else
    skip "systemd-analyze is not installed"
fi

# ---------------------------------------------------------------------------------
step "nginx site in front of ciu serve (SQLite)"
start_app sqlite "sqlite://ciu.db"
sqlite_dir=$app_dir
sqlite_app_port=$app_port
ok "ciu serve (production, .env from .env.example) on 127.0.0.1:$app_port"

if have nginx && have openssl; then
    n="$work/nginx"
    mkdir -p "$n/certs" "$n/logs" "$n/tmp" "$n/www"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=votre-domaine.cd" \
        -addext "subjectAltName=DNS:votre-domaine.cd" \
        -keyout "$n/certs/privkey.pem" -out "$n/certs/fullchain.pem" 2>/dev/null
    http_port=$(free_port)
    https_port=$(free_port)
    sed -e "s#^    listen 80;#    listen 127.0.0.1:$http_port;#" \
        -e "s#^    listen 443 ssl;#    listen 127.0.0.1:$https_port ssl;#" \
        -e '/^    listen \[::\]/d' \
        -e "s#/etc/letsencrypt/live/votre-domaine.cd/#$n/certs/#" \
        -e "s#/var/log/nginx/ciu-whatsapp/#$n/logs/#" \
        -e "s#server 127.0.0.1:8000;#server 127.0.0.1:$app_port;#" \
        -e "s#root /var/www/html;#root $n/www;#" \
        deploy/nginx/ciu-whatsapp.conf >"$n/site.conf"
    if grep -v '^ *#' "$n/site.conf" | grep -nE 'letsencrypt|/var/log|:8000|listen (80|443)|\[::\]'; then
        die "deploy/nginx/ciu-whatsapp.conf changed in a way deploy/check.sh does not rewrite"
    fi
    user_line=""
    if [ "$(id -u)" -eq 0 ]; then user_line="user root root;"; fi
    nginx_conf="$n/nginx.conf"
    cat >"$nginx_conf" <<EOF
$user_line
worker_processes 1;
pid $n/nginx.pid;
error_log $n/logs/main-error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $n/tmp/body;
    proxy_temp_path $n/tmp/proxy;
    fastcgi_temp_path $n/tmp/fastcgi;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    include $n/site.conf;
}
EOF
    nginx -t -q -p "$n" -c "$nginx_conf" || die "nginx -t rejects the site"
    ok "nginx -t"
    nginx -p "$n" -c "$nginx_conf" || die "nginx does not start with the site"
    for _ in $(seq 50); do [ -s "$n/nginx.pid" ] && break; sleep 0.1; done

    https="https://votre-domaine.cd:$https_port"
    curl_tls=(--resolve "votre-domaine.cd:$https_port:127.0.0.1" --cacert "$n/certs/fullchain.pem")
    status() { curl -s -o /dev/null -w '%{http_code}' "${curl_tls[@]}" "$@"; }

    location=$(curl -s -o /dev/null -w '%{redirect_url}' --resolve "votre-domaine.cd:$http_port:127.0.0.1" \
        "http://votre-domaine.cd:$http_port/health")
    [ "$location" = "https://votre-domaine.cd/health" ] || die "HTTP does not redirect to HTTPS: '$location'"
    ok "HTTP → HTTPS redirect"

    health=$(curl -sS -D "$work/health.headers" "${curl_tls[@]}" "$https/health")
    [[ $health == *'"status":"healthy"'* ]] || die "/health through nginx: $health"
    request_id=$(sed -n 's/^x-request-id: *\([0-9a-f]*\).*/\1/ip' "$work/health.headers")
    [ ${#request_id} -eq 32 ] || die "no X-Request-Id from nginx's \$request_id"
    grep -q "GET /health .* rid=$request_id" "$n/logs/access.log" || die "the nginx log has no rid=$request_id"
    ok "TLS, /health, X-Request-Id = nginx rid"

    webhook="$https/whatsapp/webhook"
    welcome=$(say "$webhook" +243990000009 "Test")
    [[ $welcome == *"<Response><Message>"*"Code Identificateur Unique"* ]] || die "signed webhook: $welcome"
    ok "signed Twilio webhook through nginx: welcome TwiML (PUBLIC_BASE_URL matches)"
    welcome=$(deploy/webhook-test.sh "$sqlite_dir/.env" "Bonjour" +243990000010) ||
        die "deploy/webhook-test.sh: $welcome"
    [[ $welcome == *"Code Identificateur Unique"* ]] || die "deploy/webhook-test.sh: $welcome"
    ok "deploy/webhook-test.sh (the guide's test 2, signed from .env): welcome TwiML"

    for _ in 1 2 3; do
        code=$(status -X POST --data-urlencode "From=whatsapp:+24399999999" --data-urlencode "Body=Test" "$webhook")
        [ "$code" = 403 ] || die "unsigned webhook gave $code, not 403"
    done
    ok "unsigned webhook: 403"
    head -c 70000 /dev/zero | tr '\0' 'a' >"$work/big.txt"
    code=$(status -X POST --data-binary "@$work/big.txt" "$webhook")
    [ "$code" = 413 ] || die "70 kB body gave $code, not 413"
    ok "body over 64 KiB: 413"
    [ "$(status "$https/")" = 404 ] || die "/ is not 404"
    [ "$(status "$https/whatsapp/webhook")" = 403 ] || die "GET on the webhook is not refused"
    ok "other paths 404, GET webhook 403"

    [ "$(status "$https/metrics")" = 200 ] || die "/metrics from 127.0.0.1 is not 200"
    [ "$(status --interface 127.0.0.5 "$https/metrics")" = 403 ] || die "/metrics from another address is not 403"
    [ "$(status --interface 127.0.0.5 -X POST "$https/whatsapp/cleanup")" = 403 ] || die "/whatsapp/cleanup from another address is not 403"
    cleaned=$(curl -sS "${curl_tls[@]}" -X POST -H "Authorization: Bearer $admin_token" "$https/whatsapp/cleanup")
    [[ $cleaned == *'"status":"success"'* ]] || die "cleanup from localhost: $cleaned"
    ok "/metrics and /whatsapp/cleanup: localhost only"

    # The staff console through nginx: sign-in page, 3 wrong passwords (401, counted
    # by the ciu-console fail2ban filter below; one with a query string, which the
    # service ignores), a form posted from another site (no cookie: 403, not counted),
    # then the right password: a Secure, HttpOnly, SameSite=Strict cookie opens the
    # dashboard.
    jar="$work/console.cookies"
    [ "$(status "$https/console")" = 303 ] || die "/console without a session does not lead to the sign-in page"
    for target in /console/connexion /console/connexion /console/connexion?essai=1; do
        code=$(status -c "$jar" -b "$jar" --data-urlencode "password=faux" \
            --data-urlencode "csrf=$(console_form "$https" "$jar")" "$https$target")
        [ "$code" = 401 ] || die "a wrong console password on $target gave $code, not 401"
    done
    code=$(status --data-urlencode "password=faux" --data-urlencode "csrf=0123" "$https/console/connexion")
    [ "$code" = 403 ] || die "a sign-in form from another site gave $code, not 403"
    signed_in=$(console_sign_in "$https" "$jar")
    session_cookie=$(grep -i '^set-cookie: ciu_console=' <<<"$signed_in") || die "no console session cookie: $signed_in"
    for attribute in HttpOnly SameSite=Strict Secure Path=/console; do
        [[ $session_cookie == *"; $attribute"* ]] || die "the console's session cookie lacks $attribute: $session_cookie"
    done
    dashboard=$(curl -sS "${curl_tls[@]}" -b "$jar" "$https/console")
    [[ $dashboard == *"Tableau de bord"*"<svg"* ]] || die "the console's dashboard through nginx: ${dashboard:0:300}"
    ok "console through nginx: sign-in refused (401), then a Secure HttpOnly SameSite cookie and the dashboard"

    fill "$webhook"
    reply=$(converse "$webhook" +243990000006 2001 Goma Esther 9 Kasongo)
    qr_url=$(sed -n 's#.*<Media>\(https://votre-domaine.cd/qr/[0-9a-f]*\)</Media>.*#\1#p' <<<"$reply")
    [ -n "$qr_url" ] || die "no QR <Media> in: $reply"
    curl -sS "${curl_tls[@]}" -o "$work/qr.png" -w '%{content_type}' "${qr_url/votre-domaine.cd/votre-domaine.cd:$https_port}" |
        grep -qx 'image/png' || die "the QR image is not served as PNG"
    [ "$(head -c 4 "$work/qr.png" | od -An -c | tr -d ' ')" = '211PNG' ] || die "the QR image is not a PNG"
    ok "conversations through nginx; QR image served as PNG"

    if have fail2ban-regex; then
        result=$(fail2ban-regex "$n/logs/access.log" deploy/fail2ban/filter.d/ciu-whatsapp.conf)
        matched=$(sed -n 's/^Failregex: \([0-9]*\) total.*/\1/p' <<<"$result")
        # 3 unsigned webhooks, 1 oversized body, 1 GET on the webhook, 1 forbidden cleanup.
        [ "$matched" = 6 ] || die "fail2ban filter matched ${matched:-nothing}, expected 6: $result"
        ok "fail2ban filter: the 6 refusals on /whatsapp/, nothing else"
        result=$(fail2ban-regex "$n/logs/access.log" deploy/fail2ban/filter.d/ciu-console.conf)
        matched=$(sed -n 's/^Failregex: \([0-9]*\) total.*/\1/p' <<<"$result")
        [ "$matched" = 3 ] || die "fail2ban console filter matched ${matched:-nothing}, expected 3: $result"
        ok "fail2ban console filter: the 3 wrong console passwords, not the foreign form"
        # The jail as installed beside the distribution's configuration (its log moved
        # here; this machine's other jails off, their logs are not here).
        cp -r /etc/fail2ban "$work/fail2ban"
        cp deploy/fail2ban/filter.d/ciu-whatsapp.conf deploy/fail2ban/filter.d/ciu-console.conf \
            "$work/fail2ban/filter.d/"
        sed "s#/var/log/nginx/ciu-whatsapp/#$n/logs/#" deploy/fail2ban/jail.d/ciu-whatsapp.local \
            >"$work/fail2ban/jail.d/ciu-whatsapp.local"
        printf '[sshd]\nenabled = false\n' >"$work/fail2ban/jail.d/zz-check-only-ciu.local"
        remarks=$(fail2ban-client -c "$work/fail2ban" -t 2>&1) || die "fail2ban rejects the jail: $remarks"
        jails=$(fail2ban-client -c "$work/fail2ban" -d 2>/dev/null)
        for jail in ciu-whatsapp ciu-console; do
            grep -q "'add', '$jail'" <<<"$jails" || die "fail2ban does not load the $jail jail"
        done
        ok "fail2ban jails ciu-whatsapp and ciu-console load (fail2ban-client -t)"
    else
        skip "fail2ban-regex is not installed: filter not checked"
    fi

    if have logrotate; then
        # Beside Debian's nginx rule (/var/log/nginx/*.log), on copies of both under a
        # temporary /var/log with the files present: no log may be claimed twice.
        fake_log="$work/var-log"
        mkdir -p "$fake_log/nginx/ciu-whatsapp"
        touch "$fake_log"/nginx/{access,error}.log "$fake_log"/nginx/ciu-whatsapp/{access,error}.log
        {
            if [ -f /etc/logrotate.d/nginx ]; then cat /etc/logrotate.d/nginx; fi
            cat deploy/logrotate/ciu-whatsapp
        } | sed "s#/var/log/#$fake_log/#g" >"$work/logrotate-both.conf"
        remarks=$(logrotate -d -s "$work/logrotate.state" "$work/logrotate-both.conf" 2>&1) ||
            die "logrotate rejects the configuration: $remarks"
        if grep -E '^error|duplicate' <<<"$remarks"; then die "logrotate: $remarks"; fi
        # A forced rotation of the test logs: nginx must reopen them.
        sed -e "s#/var/log/nginx/ciu-whatsapp/#$n/logs/#" -e "s#/run/nginx.pid#$n/nginx.pid#g" \
            -e "s#create 0640 www-data adm#create 0640 root root#" \
            deploy/logrotate/ciu-whatsapp >"$work/logrotate-test.conf"
        logrotate -f -s "$work/logrotate.state" "$work/logrotate-test.conf" || die "forced logrotate failed"
        [ -s "$n/logs/access.log.1" ] || die "logrotate did not rotate access.log"
        sleep 0.5
        curl -sS "${curl_tls[@]}" -o /dev/null "$https/health?after-rotation"
        sleep 0.5
        grep -q 'after-rotation' "$n/logs/access.log" || die "nginx did not reopen its log after rotation"
        ok "logrotate: no clash with Debian's nginx rule; rotation followed by nginx"
    else
        skip "logrotate is not installed"
    fi
else
    skip "nginx or openssl is not installed: the nginx site is not checked"
    curl_tls=()
    fill "http://127.0.0.1:$sqlite_app_port/whatsapp/webhook"
    signed_in_or_die "$(console_sign_in "http://127.0.0.1:$sqlite_app_port" "$work/console.cookies")"
fi
curl_tls=()

# ---------------------------------------------------------------------------------
# Row counts of every table (name count per line, sorted), for before/after.
sqlite_counts() {
    local table
    for table in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
        echo "$table $(sqlite3 "$1" "SELECT COUNT(*) FROM \"$table\"")"
    done
}
postgres_counts() { # database (as postgres)
    local table
    for table in $(psql -X -At -h 127.0.0.1 -U postgres -d "$1" \
        -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"); do
        echo "$table $(psql -X -At -h 127.0.0.1 -U postgres -d "$1" -c "SELECT COUNT(*) FROM \"$table\"")"
    done
}
# Collisions are rare by design: one row written as the service would, so that every
# table is in the comparison.
readonly collision_row="INSERT INTO ciu_collisions (flow_id, uic_code, collision_index, detected_at)
    VALUES ('ciu', '985-KINS-15-JEA-KABI-00000', 1, '2026-01-01T00:00:00+00:00')"
# The Meta outbox is empty once replies are sent (and Meta is off here): one queued row,
# sealed bytes as the service writes them, so that table is compared too.
readonly outbox_row_sqlite="INSERT INTO outbox (channel, recipient, phone, payload, next_attempt_at, created_at)
    VALUES ('meta', 'h:0', X'00', X'00', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
readonly outbox_row_postgres="INSERT INTO outbox (channel, recipient, phone, payload, next_attempt_at, created_at)
    VALUES ('meta', 'h:0', decode('00', 'hex'), decode('00', 'hex'), '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
# A derivation the deployer confirmed (`ciu derivation --accept`) and a USSD session
# (the channel is off here): one row each, as the service writes them.
readonly accepted_row="INSERT INTO accepted_derivations (flow_id, fingerprint, accepted_at)
    VALUES ('ciu', '0123456789abcdef', '2026-01-01T00:00:00+00:00')"
readonly ussd_row_sqlite="INSERT INTO ussd_sessions (session_id, phone_number, inputs_fed, screen, updated_at)
    VALUES ('ATUid_check', 'h:0', 1, X'00', '2026-01-01T00:00:00+00:00')"
readonly ussd_row_postgres="INSERT INTO ussd_sessions (session_id, phone_number, inputs_fed, screen, updated_at)
    VALUES ('ATUid_check', 'h:0', 1, decode('00', 'hex'), '2026-01-01T00:00:00+00:00')"
all_tables_have_rows() { # counts
    if grep -E ' 0$' <<<"$1"; then die "the test data left a table empty: $1"; fi
}
stats_of() { # app dir, database url
    (cd "$1" && env -i PATH="$PATH" DATABASE_URL="$2" "$bin" stats --json)
}

step "backup and restore: SQLite, service running"
if have sqlite3; then
    sqlite3 "$sqlite_dir/ciu.db" "$collision_row"
    sqlite3 "$sqlite_dir/ciu.db" "$outbox_row_sqlite"
    sqlite3 "$sqlite_dir/ciu.db" "$accepted_row"
    sqlite3 "$sqlite_dir/ciu.db" "$ussd_row_sqlite"
    before=$(sqlite_counts "$sqlite_dir/ciu.db")
    all_tables_have_rows "$before"
    backups="$work/backups-sqlite"
    mkdir -p "$backups"
    touch -d '40 days ago' "$backups/backup-20000101-000000.sqlite.gz"
    touch -d '10 days ago' "$backups/backup-20000102-000000.sqlite.gz"
    BACKUP_DIR=$backups deploy/backup/ciu-backup.sh "$sqlite_dir/.env" >"$work/backup.out" 2>&1 ||
        die "ciu-backup.sh (SQLite): $(cat "$work/backup.out")"
    [ ! -e "$backups/backup-20000101-000000.sqlite.gz" ] || die "a 40-day-old backup was kept"
    [ -e "$backups/backup-20000102-000000.sqlite.gz" ] || die "a 10-day-old backup was deleted"
    backup=$(find "$backups" -name 'backup-*.sqlite.gz' -newer "$backups/backup-20000102-000000.sqlite.gz")
    [[ $(basename "$backup") =~ ^backup-[0-9]{8}-[0-9]{6}\.sqlite\.gz$ ]] || die "unexpected name $backup"
    if [ "$(stat -c %a "$backups")" != 700 ] || [ "$(stat -c %a "$backup")" != 600 ]; then
        die "backups readable by others"
    fi
    deploy/backup/ciu-restore.sh "$backup" "$work/restored.db" >/dev/null || die "ciu-restore.sh (SQLite)"
    after=$(sqlite_counts "$work/restored.db")
    [ "$before" = "$after" ] || die "row counts differ after restore: before [$before] after [$after]"
    [ "$(stats_of "$sqlite_dir" "sqlite://$sqlite_dir/ciu.db")" = "$(stats_of "$sqlite_dir" "sqlite://$work/restored.db")" ] ||
        die "ciu stats differ after restore"
    if deploy/backup/ciu-restore.sh "$backup" "$work/restored.db" >/dev/null 2>&1; then
        die "restore overwrote an existing SQLite file"
    fi
    ok "every table's row count and ciu stats equal after restore ($(wc -l <<<"$after") tables); old backups pruned; no overwrite"
else
    skip "sqlite3 is not installed: SQLite backups not checked"
fi

step "backup and restore: PostgreSQL"
if have pg_dump && have psql && psql_admin -qAtc "SELECT 1" >/dev/null 2>&1; then
    suffix="$(date +%s)_$$"
    role="ciu_check_$suffix"
    password='S3cr3t@:/%pass'
    encoded='S3cr3t%40%3A%2F%25pass'
    source_db="ciu_check_src_$suffix"
    restored_db="ciu_check_restored_$suffix"
    postgres_roles+=("$role")
    postgres_databases+=("$source_db" "$restored_db")
    psql_admin -qc "CREATE ROLE $role LOGIN PASSWORD '$password'"
    psql_admin -qc "CREATE DATABASE $source_db OWNER $role ENCODING 'UTF8'"
    psql_admin -qc "CREATE DATABASE $restored_db OWNER $role ENCODING 'UTF8'"
    source_url="postgresql://$role:$encoded@127.0.0.1:5432/$source_db"
    restored_url="postgresql://$role:$encoded@127.0.0.1:5432/$restored_db"

    start_app postgres "$source_url"
    pg_dir=$app_dir
    curl_tls=()
    fill "http://127.0.0.1:$app_port/whatsapp/webhook"
    signed_in_or_die "$(console_sign_in "http://127.0.0.1:$app_port" "$work/console-postgres.cookies")"
    psql -X -q -h 127.0.0.1 -U postgres -d "$source_db" -c "$collision_row"
    psql -X -q -h 127.0.0.1 -U postgres -d "$source_db" -c "$outbox_row_postgres"
    psql -X -q -h 127.0.0.1 -U postgres -d "$source_db" -c "$accepted_row"
    psql -X -q -h 127.0.0.1 -U postgres -d "$source_db" -c "$ussd_row_postgres"
    before=$(postgres_counts "$source_db")
    all_tables_have_rows "$before"

    backups="$work/backups-postgres"
    BACKUP_DIR=$backups deploy/backup/ciu-backup.sh "$pg_dir/.env" >"$work/backup.out" 2>&1 ||
        die "ciu-backup.sh (PostgreSQL): $(cat "$work/backup.out")"
    backup=$(ls "$backups"/backup-*.sql.gz)
    [[ $(basename "$backup") =~ ^backup-[0-9]{8}-[0-9]{6}\.sql\.gz$ ]] || die "unexpected name $backup"
    deploy/backup/ciu-restore.sh "$backup" "$restored_url" >"$work/restore.out" 2>&1 ||
        die "ciu-restore.sh (PostgreSQL): $(cat "$work/restore.out")"
    after=$(postgres_counts "$restored_db")
    [ "$before" = "$after" ] || die "row counts differ after restore: before [$before] after [$after]"
    [ "$(stats_of "$pg_dir" "$source_url")" = "$(stats_of "$pg_dir" "$restored_url")" ] || die "ciu stats differ after restore"
    owner=$(psql -X -At -h 127.0.0.1 -U postgres -d "$restored_db" \
        -c "SELECT tableowner FROM pg_tables WHERE tablename = 'uic_records'")
    [ "$owner" = "$role" ] || die "restored tables belong to $owner, not to the database's user"
    # Restoring creates the indexes (row counts known) but no column statistics: the
    # planner would guess how many records share a near key.
    analyzed=$(psql -X -At -h 127.0.0.1 -U postgres -d "$restored_db" \
        -c "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'uic_near_keys'")
    [ "$analyzed" = t ] || die "the restored database has no statistics: ciu-restore.sh did not analyze it"
    ok "every table's row count and ciu stats equal after restore ($(wc -l <<<"$after") tables); statistics computed"

    if deploy/backup/ciu-restore.sh "$backup" "$restored_url" >>"$work/restore.out" 2>&1; then
        die "restore into a non-empty database was accepted"
    fi
    if DATABASE_URL="postgresql://$role:$encoded@127.0.0.1:1/$source_db" BACKUP_DIR="$work/backups-failed" \
        deploy/backup/ciu-backup.sh >>"$work/backup.out" 2>&1; then
        die "a backup of an unreachable database exited 0"
    fi
    [ -z "$(ls -A "$work/backups-failed")" ] || die "a failed backup left files: $(ls -A "$work/backups-failed")"
    if grep -F -e "$password" -e "$encoded" "$work/backup.out" "$work/restore.out"; then
        die "a script printed the database password"
    fi
    ok "refuses a non-empty target; failure exits non-zero and leaves nothing; password never printed"
else
    skip "PostgreSQL (server on 127.0.0.1:5432 as postgres, pg_dump, psql) is not available"
fi

echo
if [ ${#skipped[@]} -gt 0 ]; then
    echo "deploy/check.sh: passed, but ${#skipped[@]} check(s) did not run:"
    printf '  - %s\n' "${skipped[@]}"
else
    echo "deploy/check.sh: all deployment checks passed"
fi
