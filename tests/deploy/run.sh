#!/usr/bin/env bash
# Deploy smoke test: `make install DESTDIR=$tmp` of this build, then the
# INSTALLED programs started the way the installed systemd units start
# them, as far as that goes outside systemd: the unit's User=, a clean
# environment read from an environment file made from the installed
# example, a run directory made like RuntimeDirectory= (relocated under
# $tmp), NOTIFY_SOCKET for the readiness message; a throwaway PostgreSQL
# (scripts/common.sh), the schema from the installed klaviyo-admin and
# SQL, and an nginx whose server block includes the INSTALLED snippet
# (its paths moved under $tmp).  Then through nginx: /api/health, the
# connect page, a login with a user the installed klaviyo-admin made,
# /api/me.  Loopback only; every wait bounded; all stopped and removed
# on every path.
set -euo pipefail
SRC=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KC_BUILDDIR:-$SRC/build}
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"
: "${KC_RUNDIR:?} ${KC_SBINDIR:?} ${KC_PKGDATADIR:?} ${KC_DOCDIR:?}"

ST=$(mktemp -d /tmp/kc-deploy.XXXXXX)
D=$ST/root				# DESTDIR
RUN=$ST/sys$KC_RUNDIR			# the unit's run directory, moved
NOTIFY_PID=
cleanup() {
	set +e
	kc_nginx_stop "$ST"
	kc_kill_pidfile "$ST/run/fcgi.pid"
	kc_kill_pidfile "$ST/run/syncd.pid"
	[ -n "$NOTIFY_PID" ] && kill "$NOTIFY_PID" 2>/dev/null
	kc_pg_stop "$ST"
	if [ "${KC_KEEP_STATE:-0}" = 1 ]; then
		echo "state kept in $ST"
	else
		rm -rf "$ST"
	fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$ST"/log/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

kc_say "make install DESTDIR=$D"
# One install at a time: make check runs both deploy tests at once.
flock "$BUILD/.install.lock" env -u MAKEFLAGS -u MFLAGS make -C "$BUILD" \
    install DESTDIR="$D" \
    >"$ST/install.log" 2>&1 || { cat "$ST/install.log"; exit 1; }
for f in "$KC_SBINDIR/klaviyo-connect-fcgi" "$KC_SBINDIR/klaviyo-syncd" \
    "$KC_SBINDIR/klaviyo-admin"; do
	[ -x "$D$f" ] || fail "$f not installed"
done
UNIT=$D${KC_UNITDIR:-/nonexistent}/klaviyo-connect-fcgi.service
[ -f "$UNIT" ] || UNIT=$BUILD/systemd/klaviyo-connect-fcgi.service
unit() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }

SVC=$(kc_svc_user)
[ "$(id -u)" -ne 0 ] || [ "$(unit User)" = "$SVC" ] ||
    fail "the unit runs as $(unit User), scripts/common.sh as $SVC"
kc_state_dirs "$ST"
kc_pg_init "$ST"
kc_state_dirs "$ST"
kc_pg_start "$ST"
kc_pg_createdb "$ST" klaviyo_connect
chmod 0755 "$ST/root"

# RuntimeDirectory= and RuntimeDirectoryMode=: made at start, owned by
# the service user.
[ "$(unit RuntimeDirectory)" = "${KC_RUNDIR#/run/}" ] ||
    fail "unit RuntimeDirectory=$(unit RuntimeDirectory), configured $KC_RUNDIR"
mkdir -p "$RUN" "$ST/etc"
chmod 0755 "$ST/sys" "$ST/sys/run" 2>/dev/null || true
[ "$(id -u)" -ne 0 ] || chown "$SVC:" "$RUN"
chmod "$(unit RuntimeDirectoryMode)" "$RUN"

# The environment file: the installed example, then this host's values
# (as an operator edits it; later lines win, as with systemd).
PORT=$(kc_free_port)
ENVF=$ST/etc/klaviyo-connect.env
cp "$D$KC_DOCDIR/klaviyo-connect.env.example" "$ENVF"
cat >>"$ENVF" <<ENV

# deploy test
DATABASE_URL=postgresql:///klaviyo_connect?host=$ST/run&user=kc
APP_URL=http://127.0.0.1:$PORT
KC_SOCKET=$RUN/fcgi.sock
KC_SQL_DIR=$D$KC_PKGDATADIR/sql
KC_MASTER_KEYS_FILE=$ST/etc/master-keys
KC_WORKERS=2
KLAVIYO_BASE_URL=http://127.0.0.1:9
ENV
chmod 0600 "$ENVF"
# Only the service user reads the keys (the example's advice).
( umask 077; echo "1:$(head -c 32 /dev/urandom | base64)" >"$ST/etc/master-keys" )
[ "$(id -u)" -ne 0 ] || chown "$SVC:" "$ST/etc/master-keys"
chmod 0400 "$ST/etc/master-keys"
chmod 0755 "$ST/etc"

# systemd hands a service only its EnvironmentFile= (no shell quoting,
# no expansion): read it the same simple way into a clean environment.
ENVV=()
while IFS= read -r line || [ -n "$line" ]; do
	case $line in ''|'#'*|';'*) continue ;; esac
	ENVV+=("$line")
done <"$ENVF"
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!v:-}" ] && ENVV+=("$v=${!v}")
done

# NOTIFY_SOCKET: a datagram socket that records what the services send.
NOTIFY=
if command -v python3 >/dev/null 2>&1; then
	NOTIFY=$ST/notify.sock
	python3 - "$NOTIFY" "$ST/log/notify.log" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(1)
end = time.time() + 600
with open(sys.argv[2], "a", buffering=1) as log:
    while time.time() < end:
        try:
            log.write(s.recv(4096).decode() + "\n")
        except socket.timeout:
            pass
PY
	NOTIFY_PID=$!
	for i in $(seq 1 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done
	[ -S "$NOTIFY" ] || fail "notify socket not ready"
	ENVV+=("NOTIFY_SOCKET=$NOTIFY")
fi

# The schema and a user, with the installed klaviyo-admin and SQL.
admin() { kc_as_svc env -i "${ENVV[@]}" "$D$KC_SBINDIR/klaviyo-admin" "$@"; }
admin migrate >"$ST/log/migrate.log" 2>&1 || fail "klaviyo-admin migrate"
PW="deploy-$(head -c 9 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$PW" | admin user add deploy@example.com \
    >"$ST/log/admin.log" 2>&1 || fail "klaviyo-admin user add"

# The services, as ExecStart= starts them.
kc_spawn "$ST" fcgi env -i "${ENVV[@]}" "$D$KC_SBINDIR/klaviyo-connect-fcgi"
kc_spawn "$ST" syncd env -i "${ENVV[@]}" "$D$KC_SBINDIR/klaviyo-syncd"

# nginx with the installed snippet, its two configured paths moved.
kc_nginx_conf "$ST" "$PORT" "$D$KC_PKGDATADIR/www"
SNIP=$D$KC_PKGDATADIR/nginx/klaviyo-connect.snippet.conf
grep -q "unix:$KC_RUNDIR/fcgi.sock;" "$SNIP" ||
    fail "installed snippet does not use $KC_RUNDIR/fcgi.sock"
grep -q "root $KC_PKGDATADIR/www;" "$SNIP" ||
    fail "installed snippet does not serve $KC_PKGDATADIR/www"
sed -e "s|unix:$KC_RUNDIR/fcgi.sock;|unix:$RUN/fcgi.sock;|g" \
    -e "s|root $KC_PKGDATADIR/www;|root $D$KC_PKGDATADIR/www;|g" \
    "$SNIP" >"$ST/nginx/snippet.conf"
cp "$D$KC_PKGDATADIR/nginx/klaviyo-connect.http.conf" "$ST/nginx/http.conf" ||
    fail "no installed klaviyo-connect.http.conf"
# Beside Debian's default site: a server with its own `location /` takes
# the installed snippet too (nginx refuses a duplicate location).
sed -e 's|^\([[:space:]]*\)include \(.*/snippet.conf;\)|\1location / { root /var/www/html; try_files $uri $uri/ =404; }\n\1include \2|' \
    "$ST/nginx/nginx.conf" >"$ST/nginx/debian.conf"
grep -q 'location / {' "$ST/nginx/debian.conf" || fail "no location / made"
kc_as_svc nginx -t -q -e "$ST/nginx/error.log" -p "$ST/nginx" \
    -c "$ST/nginx/debian.conf" >"$ST/log/nginx-t.log" 2>&1 ||
    fail "the snippet does not fit a server with location /: $(cat "$ST/log/nginx-t.log")"
kc_nginx_start "$ST"

URL=http://127.0.0.1:$PORT
kc_wait_http "$URL/api/health" 30 || fail "/api/health never answered 200"
kc_alive "$ST/run/syncd.pid" klaviyo-syncd || fail "klaviyo-syncd is not running"

# The socket as the unit leaves it: in the run directory, KC_SOCKET_MODE.
[ -S "$RUN/fcgi.sock" ] || fail "no socket in $RUN"
[ "$(stat -c %a "$RUN/fcgi.sock")" = 660 ] || fail "socket mode $(stat -c %a "$RUN/fcgi.sock")"

code() { curl -s -o "$ST/body" -w '%{http_code}' --max-time 10 "$@"; }
[ "$(code "$URL/api/health")" = 200 ] || fail "/api/health"
grep -q '"db":true' "$ST/body" || fail "/api/health: $(cat "$ST/body")"
[ "$(code "$URL/store/Deploy1/klaviyo-connect")" = 200 ] ||
    fail "the connect page"
grep -qi '<html' "$ST/body" || fail "the connect page is not HTML"
[ "$(code "$URL/store/Deploy1/klaviyo-settings")" = 200 ] ||
    fail "the sync settings page"
grep -q 'settings.js' "$ST/body" || fail "the sync settings page is not the page"
[ "$(code "$URL/settings.css")" = 200 ] || fail "/settings.css"
[ "$(code "$URL/webhooks.js")" = 200 ] || fail "/webhooks.js"
[ "$(code "$URL/login")" = 200 ] || fail "the login page"
[ "$(code -c "$ST/cookies" -H 'Content-Type: application/json' \
    -H "Origin: $URL" -d "{\"email\":\"deploy@example.com\",\"password\":\"$PW\"}" \
    "$URL/api/auth/login")" = 200 ] || fail "login: $(cat "$ST/body")"
[ "$(code -b "$ST/cookies" "$URL/api/me")" = 200 ] || fail "/api/me"
grep -q 'deploy@example.com' "$ST/body" || fail "/api/me: $(cat "$ST/body")"

# Readiness: both services told the manager.
if [ -n "$NOTIFY" ]; then
	for i in $(seq 1 50); do
		[ "$(grep -c '^READY=1' "$ST/log/notify.log" 2>/dev/null)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(grep -c '^READY=1' "$ST/log/notify.log" 2>/dev/null)" -ge 2 ] ||
	    fail "READY=1 not sent by both services"
fi

# SIGTERM as systemd stops them: clean exits, no socket left behind.
FPID=$(head -1 "$ST/run/fcgi.pid")
SPID=$(head -1 "$ST/run/syncd.pid")
kc_kill_pidfile "$ST/run/fcgi.pid"
kc_kill_pidfile "$ST/run/syncd.pid"
! kill -0 "$FPID" 2>/dev/null || fail "klaviyo-connect-fcgi did not stop"
! kill -0 "$SPID" 2>/dev/null || fail "klaviyo-syncd did not stop"
[ ! -e "$RUN/fcgi.sock" ] || fail "socket left behind after SIGTERM"
grep -q 'INFO fcgi - stopped' "$ST/log/fcgi.log" || fail "fcgi did not log its stop"
grep -q 'INFO syncd - stopped' "$ST/log/syncd.log" || fail "syncd did not log its stop"
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
    "$ST"/log/*.log >/dev/null 2>&1; then
	fail "sanitizer report in a service log"
fi
echo "PASS: installed tree served /api/health, the connect page, login and /api/me"
