# Shared by scripts/stack, scripts/test and tests/integration/run.sh:
# dependencies, build, and starting/stopping PostgreSQL, the FastCGI
# workers and nginx as an unprivileged user in a state folder.
# shellcheck shell=bash

KC_ROOT=${KC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
KC_SVC_USER_NAME=klaviyo-connect

# Debian 12 packages the build, the tests and the stack need.
KC_DEB_PACKAGES="build-essential autoconf automake pkg-config libfcgi-dev
libcurl4-openssl-dev libjson-c-dev libpq-dev libssl-dev check postgresql
nginx-light curl ca-certificates util-linux procps"
# Only the test suite needs these (Prism's spec check, headless Chromium,
# systemd-analyze for the units in tests/deploy/units.sh, pgbouncer for
# tests/deploy/pgbouncer.sh, clang with libFuzzer's runtime for
# tests/fuzz/run.sh).
KC_TEST_PACKAGES="python3 chromium fonts-liberation systemd pgbouncer clang
libclang-rt-14-dev"

kc_die() { echo "error: $*" >&2; exit 1; }
kc_say() { echo "==> $*" >&2; }

kc_install_deps() {
	local missing="" p
	for p in $KC_DEB_PACKAGES ${KC_EXTRA_PACKAGES:-}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		kc_die "missing packages:$missing (as root: apt-get install$missing)"
	fi
	kc_say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# kc_build BUILDDIR [configure flags...]: configure once per flag set, make.
kc_build() {
	local dir=$1; shift
	local flags="$*"
	[ -x "$KC_ROOT/configure" ] || (cd "$KC_ROOT" && autoreconf -fi >/dev/null 2>&1) ||
	    kc_die "autoreconf failed"
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$(cat "$dir/.kc-flags" 2>/dev/null)" != "$flags" ]; then
		kc_say "configuring $dir ($flags)"
		# shellcheck disable=SC2086
		(cd "$dir" && "$KC_ROOT/configure" $flags >configure.out 2>&1) ||
		    { tail -20 "$dir/configure.out" >&2; kc_die "configure failed"; }
		echo "$flags" >"$dir/.kc-flags"
	fi
	kc_say "building in $dir"
	make -C "$dir" -j"$(nproc)" >"$dir/make.out" 2>&1 ||
	    { grep -E 'error|Error' "$dir/make.out" | head -30 >&2; kc_die "build failed"; }
}

# The user every service runs as: PostgreSQL refuses to run as root.
kc_svc_user() {
	if [ "$(id -u)" -ne 0 ]; then
		id -un
		return
	fi
	if ! id "$KC_SVC_USER_NAME" >/dev/null 2>&1; then
		useradd --system --home-dir /nonexistent --no-create-home \
		    --shell /usr/sbin/nologin "$KC_SVC_USER_NAME"
	fi
	echo "$KC_SVC_USER_NAME"
}

# kc_as_svc CMD...: run a command as the service user, environment kept.
kc_as_svc() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	else
		setpriv --reuid="$KC_SVC_USER_NAME" --regid="$KC_SVC_USER_NAME" \
		    --clear-groups -- "$@"
	fi
}

kc_pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$d/initdb" ] || kc_die "PostgreSQL server not found (apt-get install postgresql)"
	echo "$d"
}

# kc_pg_init STATE: a cluster in STATE/pg, socket in STATE/run, user kc.
kc_pg_init() {
	local st=$1 bin
	bin=$(kc_pg_bin)
	[ -f "$st/pg/PG_VERSION" ] && return 0
	kc_say "creating PostgreSQL cluster in $st/pg"
	kc_as_svc "$bin/initdb" -D "$st/pg" -U kc --auth=trust --nosync \
	    -E UTF8 --locale=C >"$st/log/initdb.log" 2>&1 ||
	    { cat "$st/log/initdb.log" >&2; kc_die "initdb failed"; }
	cat >>"$st/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$st/run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
log_min_messages = warning
CONF
}

kc_pg_start() {
	local st=$1 bin
	bin=$(kc_pg_bin)
	kc_as_svc "$bin/pg_ctl" -D "$st/pg" -l "$st/log/postgres.log" -w -t 60 \
	    status >/dev/null 2>&1 && return 0
	kc_as_svc "$bin/pg_ctl" -D "$st/pg" -l "$st/log/postgres.log" -w -t 60 \
	    start >/dev/null || { tail -20 "$st/log/postgres.log" >&2; kc_die "PostgreSQL did not start"; }
}

kc_pg_stop() {
	local st=$1 bin
	bin=$(kc_pg_bin)
	[ -f "$st/pg/postmaster.pid" ] || return 0
	kc_as_svc "$bin/pg_ctl" -D "$st/pg" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# kc_pg_createdb STATE NAME
kc_pg_createdb() {
	local st=$1 name=$2 bin
	bin=$(kc_pg_bin)
	kc_as_svc "$bin/psql" -h "$st/run" -U kc -d postgres -Atqc \
	    "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 && return 0
	kc_as_svc "$bin/createdb" -h "$st/run" -U kc "$name"
}

# A TCP port on 127.0.0.1 that nothing listens on.
kc_free_port() {
	local p i
	for i in $(seq 1 50); do
		# Below Linux's ephemeral range (32768-60999): a port that the
		# many loopback connections of a test run take as their local
		# port cannot be bound while they last (seen once in CI).
		p=$((10000 + RANDOM % 22000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	kc_die "no free port found"
}

kc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# kc_nginx_conf STATE PORT WWW: writes STATE/nginx/{snippet,http,nginx}.conf
kc_nginx_conf() {
	local st=$1 port=$2 www=$3
	mkdir -p "$st/nginx"
	sed -e "s|@KC_SOCKET@|$st/run/fcgi.sock|g" -e "s|@KC_WWW@|$www|g" \
	    "$KC_ROOT/nginx/snippet.conf.in" >"$st/nginx/snippet.conf"
	cp "$KC_ROOT/nginx/http.conf.in" "$st/nginx/http.conf"
	# What an operator's server-level add_header lines become: see the
	# snippet's comment on add_header.
	echo 'add_header Strict-Transport-Security "max-age=63072000" always;' \
	    >"$st/nginx/klaviyo-connect.server-headers.conf"
	sed -e "s|@KC_PREFIX@|$st/nginx|g" -e "s|@KC_PORT@|$port|g" \
	    -e "s|@KC_SNIPPET@|$st/nginx/snippet.conf|g" \
	    -e "s|@KC_HTTPCONF@|$st/nginx/http.conf|g" \
	    -e "s|@KC_SOCKET@|$st/run/fcgi.sock|g" -e "s|@KC_WWW@|$www|g" \
	    "$KC_ROOT/nginx/local.conf.in" >"$st/nginx/nginx.conf"
}

kc_nginx_start() {
	local st=$1
	kc_as_svc "${KC_NOSECRET_ENV[@]}" nginx -e "$st/nginx/error.log" \
	    -p "$st/nginx" \
	    -c "$st/nginx/nginx.conf" || kc_die "nginx did not start"
}

kc_nginx_stop() {
	local st=$1
	kc_kill_pidfile "$st/nginx/nginx.pid"
}

# kc_spawn STATE NAME CMD...: start a service in the background as the
# service user, stderr to STATE/log/NAME.log, pid in STATE/run/NAME.pid.
kc_spawn() {
	local st=$1 name=$2; shift 2
	(
		if [ "$(id -u)" -ne 0 ]; then
			exec "$@"
		fi
		exec setpriv --reuid="$KC_SVC_USER_NAME" \
		    --regid="$KC_SVC_USER_NAME" --clear-groups -- "$@"
	) >>"$st/log/$name.log" 2>&1 </dev/null &
	echo $! >"$st/run/$name.pid"
}

# SIGTERM, then wait up to 40 s, then SIGKILL.
kc_kill_pidfile() {
	local f=$1 pid i
	[ -f "$f" ] || return 0
	pid=$(head -1 "$f")
	# Only a service of ours: a stale pid may belong to anything now.
	# (Its real uid, not the owner of /proc/PID: root's once a service
	# made itself non-dumpable.)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
	    [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = \
	    "$(id -u "$(kc_svc_user)")" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 400); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

# kc_wait_http URL SECONDS: until the URL answers 200.
kc_wait_http() {
	local url=$1 secs=$2 i
	for i in $(seq 1 $((secs * 10))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# kc_bench_state_up STATE: a throwaway stack's folders and its own
# PostgreSQL cluster with the klaviyo_connect database (bench/*.sh).
kc_bench_state_up() {
	local st=$1
	kc_svc_user >/dev/null
	kc_state_dirs "$st"
	kc_pg_init "$st"
	kc_state_dirs "$st"
	kc_pg_start "$st"
	kc_pg_createdb "$st" klaviyo_connect
}

# kc_stack_env STATE: a throwaway stack's service environment: PORT (a
# free one), the database of kc_bench_state_up, the app URL, the FastCGI
# socket, this tree's migrations and a fresh master key.
kc_stack_env() {
	local st=$1
	PORT=$(kc_free_port)
	export DATABASE_URL="postgresql:///klaviyo_connect?host=$st/run&user=kc"
	export APP_URL="http://127.0.0.1:$PORT"
	export KC_SOCKET="$st/run/fcgi.sock"
	export KC_SOCKET_MODE=0600
	export KC_SQL_DIR="$KC_ROOT/sql"
	KC_MASTER_KEYS="1:$(head -c 32 /dev/urandom | base64)"
	export KC_MASTER_KEYS
}

# kc_bench_state_drop STATE: PostgreSQL stopped and STATE removed, or
# kept with KC_KEEP_STATE=1 (a bench's cleanup, once its services are
# stopped).
kc_bench_state_drop() {
	local st=$1
	kc_pg_stop "$st"
	if [ "${KC_KEEP_STATE:-0}" = 1 ]; then
		echo "state kept in $st" >&2
	else
		rm -rf "$st"
	fi
}

# kc_state_dirs STATE: the folders every service writes to.
# Debian's PgBouncer in transaction pooling mode in front of the
# throwaway cluster of $1, the way docs/INSTALL.md sets it up: unix socket
# only, in $1/run/pgb, named by port $2; three server connections for
# every client, so consecutive statements of one client do reach
# different server connections.  Echoes the DATABASE_URL through it.
kc_pgbouncer_start() {
	local st=$1 port=$2 d=$1/run/pgb i
	[ -x /usr/sbin/pgbouncer ] || kc_die "PgBouncer not found (apt-get install pgbouncer)"
	kc_as_svc mkdir -p "$d"
	kc_as_svc sh -c "cat >'$d/pgbouncer.ini'" <<EOF
[databases]
klaviyo_connect = host=$st/run dbname=klaviyo_connect

[pgbouncer]
listen_addr =
listen_port = $port
unix_socket_dir = $d
auth_type = trust
auth_file = $d/users.txt
pool_mode = transaction
default_pool_size = 3
max_client_conn = 200
logfile = $st/log/pgbouncer.log
pidfile = $d/pgbouncer.pid
EOF
	echo '"kc" ""' | kc_as_svc sh -c "cat >'$d/users.txt'"
	kc_as_svc /usr/sbin/pgbouncer -d "$d/pgbouncer.ini" >/dev/null
	for i in $(seq 1 100); do
		[ -S "$d/.s.PGSQL.$port" ] && break
		sleep 0.1
	done
	[ -S "$d/.s.PGSQL.$port" ] || kc_die "PgBouncer did not start (see $st/log/pgbouncer.log)"
	echo "postgresql:///klaviyo_connect?host=$d&port=$port&user=kc"
}

kc_pgbouncer_stop() {
	local f=$1/run/pgb/pgbouncer.pid pid i
	[ -f "$f" ] || return 0
	pid=$(head -1 "$f")
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

kc_state_dirs() {
	local st=$1 u
	mkdir -p "$st/run" "$st/log" "$st/nginx"
	u=$(kc_svc_user)
	if [ "$(id -u)" -eq 0 ]; then
		chown "$u:" "$st" "$st/run" "$st/log" "$st/nginx"
		[ -d "$st/pg" ] && chown -R "$u:" "$st/pg"
	fi
	chmod 0755 "$st"
	chmod 0700 "$st/run"
	# The service user must reach the binaries and www/.
	kc_as_svc test -r "$KC_ROOT/www" ||
	    kc_die "$KC_SVC_USER_NAME cannot read $KC_ROOT: make its parent folders world-executable"
}

# Secrets only klaviyo-connect-fcgi, klaviyo-syncd and klaviyo-admin get
# (docs/INSTALL.md 5, "Which program gets which secret"): nginx and the
# sandbox run with "${KC_NOSECRET_ENV[@]}" in front, so none of these is
# in their /proc/PID/environ.
KC_NOSECRET_ENV=(env)
for _kc_v in KC_MASTER_KEYS KC_MASTER_KEYS_FILE KLAVIYO_CLIENT_SECRET \
    REPORT_SERVER_KEY DATABASE_URL KC_TEST_DATABASE_URL; do
	KC_NOSECRET_ENV+=(-u "$_kc_v")
done
unset _kc_v

# kc_sandbox_client_file STATE ID:SECRET: writes the sandbox's OAuth
# client to a 0600 file of the service user (for --oauth-client-file:
# a command line is readable by every user) and prints its path.
kc_sandbox_client_file() {
	local f=$1/run/sandbox-oauth-client
	(umask 077; printf '%s\n' "$2" >"$f")
	[ "$(id -u)" -ne 0 ] || chown "$(kc_svc_user):" "$f"
	echo "$f"
}

# kc_sandbox_start STATE BIN [ARGS...]: starts klaviyo-sandbox on a free
# loopback port and prints the port (read from its "listening on" line).
kc_sandbox_start() {
	local st=$1 bin=$2 i port=""; shift 2
	: >"$st/log/sandbox.log"
	kc_spawn "$st" sandbox "${KC_NOSECRET_ENV[@]}" "$bin" \
	    --listen 127.0.0.1:0 "$@"
	for i in $(seq 1 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		    "$st/log/sandbox.log" | head -1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$st/log/sandbox.log" >&2; kc_die "the Klaviyo sandbox did not start"; }
	echo "$port"
}

# kc_alive PIDFILE WORD: the pid file's process runs and its command line
# has WORD (a pid reused by another program does not count).
kc_alive() {
	local pid
	[ -f "$1" ] || return 1
	pid=$(head -1 "$1")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
	    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}
