#!/bin/sh
# Proves klaviyo-sandbox speaks Klaviyo's OpenAPI spec: starts the sandbox
# and a Prism 5 validating proxy (--errors) in front of it, on free loopback
# ports, sends every endpoint, account, page and error case through it
# (spec_check.py), and fails on any violation.  Prism reads a reduced spec
# (reduce_spec.py: the operations the sandbox serves, cut out of
# ../shared/klaviyo-openapi/stable.json) because the whole file takes ~70 s
# to load.
#
#   KC_SANDBOX_BIN=src/klaviyo-sandbox tests/sandbox/spec_check.sh
#   tests/sandbox/spec_check.sh --proxy   # keep both running: point
#       KLAVIYO_BASE_URL at the printed proxy URL to have Prism check our
#       client's requests too; Ctrl-C stops both.
#
# Installs Prism into tests/sandbox/node_modules with "npm ci" from the
# committed package-lock.json when it is missing.  Every wait is bounded.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
spec=${KC_KLAVIYO_SPEC:-$top/../shared/klaviyo-openapi/stable.json}
bin=${KC_SANDBOX_BIN:-$top/sandbox/klaviyo-sandbox}
mode=${1:-check}

say() { printf 'spec_check: %s\n' "$*" >&2; }

[ -x "$bin" ] || { say "no sandbox binary at $bin (set KC_SANDBOX_BIN)"; exit 1; }
if [ ! -r "$spec" ]; then
	# A release tarball (make distcheck) carries no ../shared: skip there.
	say "no spec at $spec (set KC_KLAVIYO_SPEC); skipped"
	exit 77
fi
command -v node >/dev/null || { say "node is not installed"; exit 1; }
command -v python3 >/dev/null || { say "python3 is not installed"; exit 1; }

# node_modules beside package.json, or in the build tree when the source
# tree is read-only (make distcheck).
nm=$here
if [ ! -w "$here" ]; then
	nm=${KC_BUILDDIR:-${TMPDIR:-/tmp}}/tests/sandbox-npm
	mkdir -p "$nm"
	cp "$here/package.json" "$here/package-lock.json" "$nm/"
fi
prism="$nm/node_modules/.bin/prism"
if [ ! -x "$prism" ]; then
	say "installing Prism with npm ci"
	(cd "$nm" && timeout 600 npm ci --no-audit --no-fund >&2)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kc-spec.XXXXXX")
sbx_pid=
prism_pid=
cleanup() {
	[ -n "$prism_pid" ] && kill "$prism_pid" 2>/dev/null || true
	[ -n "$sbx_pid" ] && kill -TERM "$sbx_pid" 2>/dev/null || true
	[ -n "$prism_pid" ] && wait "$prism_pid" 2>/dev/null || true
	[ -n "$sbx_pid" ] && wait "$sbx_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 "$here/reduce_spec.py" "$spec" > "$tmp/spec.json"

# The sandbox picks its own port and prints it.
"$bin" --listen 127.0.0.1:0 --time-scale 60 --log "$tmp/sandbox.log" \
    > "$tmp/sandbox.out" &
sbx_pid=$!
i=0
while ! grep -q '^listening on ' "$tmp/sandbox.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$sbx_pid" 2>/dev/null; then
		say "sandbox did not start"; cat "$tmp/sandbox.log" >&2; exit 1
	fi
	sleep 0.1
done
sbx_addr=$(sed -n 's/^listening on //p' "$tmp/sandbox.out")
sandbox="http://$sbx_addr"

# A free port for Prism (it cannot report the one it got).
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$prism" proxy -h 127.0.0.1 -p "$pport" "$tmp/spec.json" "$sandbox" \
    --errors > "$tmp/prism.log" 2>&1 &
prism_pid=$!
i=0
while ! grep -q 'Prism is listening' "$tmp/prism.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 "$prism_pid" 2>/dev/null; then
		say "Prism did not start within 60 s"; cat "$tmp/prism.log" >&2
		exit 1
	fi
	sleep 0.1
done
proxy="http://127.0.0.1:$pport"

if [ "$mode" = "--proxy" ]; then
	say "sandbox on $sandbox, validating proxy on $proxy (Ctrl-C stops)"
	echo "proxy on $proxy"
	wait "$prism_pid"
	exit 0
fi

say "sandbox on $sandbox, Prism on $proxy"
if ! timeout 600 python3 "$here/spec_check.py" "$proxy" "$sandbox" \
    "$tmp/spec.json"; then
	say "violations found; Prism's log follows"
	tail -n 60 "$tmp/prism.log" >&2
	exit 1
fi

# The sandbox must stop cleanly (under sanitizers: no leak, no UB).
kill -TERM "$sbx_pid"
st=0
wait "$sbx_pid" || st=$?
sbx_pid=
if [ "$st" -ne 0 ]; then
	say "the sandbox exited with status $st; its log follows"
	tail -n 60 "$tmp/sandbox.log" >&2
	exit 1
fi
