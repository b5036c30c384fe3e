#!/usr/bin/env bash
# The systemd units as `make install` writes them, checked by systemd
# itself: `systemd-analyze verify` with the installed tree as its root
# (so ExecStart= must name an installed program and Documentation= an
# installed man page), plus the targets and kill(1) any root has; the
# same with every LoadCredential= line turned on; and `systemd-analyze
# security` (offline) under an exposure threshold.  Also checks that the
# units, the nginx snippet and the programs agree on the configured paths.
set -euo pipefail
SRC=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KC_BUILDDIR:-$SRC/build}
: "${KC_RUNDIR:?} ${KC_CONFDIR:?} ${KC_SBINDIR:?} ${KC_PKGDATADIR:?}"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found (apt-get install systemd)"
	exit 77
fi
if [ -z "${KC_UNITDIR:-}" ]; then
	echo "SKIP: configured with --with-systemdsystemunitdir=no"
	exit 77
fi

R=$(mktemp -d /tmp/kc-units.XXXXXX)
trap 'rm -rf "$R"' EXIT
# One install at a time: make check runs both deploy tests at once.
flock "$BUILD/.install.lock" env -u MAKEFLAGS -u MFLAGS make -C "$BUILD" \
    install DESTDIR="$R" \
    >"$R.log" 2>&1 || { cat "$R.log"; rm -f "$R.log"; exit 1; }
rm -f "$R.log"
U=$R$KC_UNITDIR
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The paths configure chose, in each file that carries one.
rt=${KC_RUNDIR#/run/}
for u in klaviyo-connect-fcgi klaviyo-syncd klaviyo-syncd@; do
	f=$U/$u.service
	[ -f "$f" ] || { bad "$f not installed"; continue; }
	grep -qx "ExecStart=$KC_SBINDIR/${u%@}" "$f" || bad "$u: ExecStart"
	grep -qx "EnvironmentFile=$KC_CONFDIR/klaviyo-connect.env" "$f" ||
	    bad "$u: EnvironmentFile"
	for kv in User=klaviyo-connect Group=klaviyo-connect \
	    ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes \
	    PrivateTmp=yes PrivateDevices=yes CapabilityBoundingSet= \
	    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	    Restart=on-failure KillSignal=SIGTERM Type=notify; do
		grep -qx "$kv" "$f" || bad "$u: no $kv"
	done
done
grep -qx "RuntimeDirectory=$rt" "$U/klaviyo-connect-fcgi.service" ||
    bad "fcgi unit: RuntimeDirectory is not $rt"
snip=$R$KC_PKGDATADIR/nginx/klaviyo-connect.snippet.conf
grep -q "fastcgi_pass unix:$KC_RUNDIR/fcgi.sock;" "$snip" ||
    bad "the nginx snippet does not point at $KC_RUNDIR/fcgi.sock"
[ "$(grep -c 'fastcgi_pass unix:' "$snip")" = \
    "$(grep -c "fastcgi_pass unix:$KC_RUNDIR/fcgi.sock;" "$snip")" ] ||
    bad "the nginx snippet names another socket"
strings "$R$KC_SBINDIR/klaviyo-connect-fcgi" 2>/dev/null |
    grep -x "$KC_RUNDIR/fcgi.sock" >/dev/null ||
    bad "klaviyo-connect-fcgi's default socket is not $KC_RUNDIR/fcgi.sock"

# What any root has: the standard targets, kill(1) for ExecReload=.
mkdir -p "$R/usr/lib/systemd/system" "$R/bin"
for d in /lib/systemd/system /usr/lib/systemd/system; do
	[ -d "$d" ] && cp -n "$d"/*.target "$R/usr/lib/systemd/system/" 2>/dev/null
done
cp /bin/kill "$R/bin/kill"
export MANPATH=$R${KC_MANDIR:-$KC_PREFIX/share/man}
export SYSTEMD_LOG_LEVEL=notice

# verify prints warnings (unknown keys, bad values) yet exits 0: any
# output at all fails.
verify() {
	local out rc=0
	out=$(systemd-analyze verify --root="$R" "$@" 2>&1) || rc=$?
	if [ $rc -ne 0 ] || [ -n "$out" ]; then
		bad "systemd-analyze verify $* (exit $rc):"
		printf '%s\n' "$out"
	fi
}
verify "$U/klaviyo-connect-fcgi.service" "$U/klaviyo-syncd.service" \
    "$U/klaviyo-syncd@.service" "$U/klaviyo-syncd@2.service"

# The credentials variant (docs/INSTALL.md): every LoadCredential= on.
mkdir -p "$R/etc/systemd/system"
for u in klaviyo-connect-fcgi klaviyo-syncd; do
	sed 's/^#LoadCredential=/LoadCredential=/' "$U/$u.service" \
	    >"$R/etc/systemd/system/$u.service"
	grep -q '^LoadCredential=KC_MASTER_KEYS:' \
	    "$R/etc/systemd/system/$u.service" || bad "$u: no LoadCredential"
done
verify "$R/etc/systemd/system/klaviyo-connect-fcgi.service" \
    "$R/etc/systemd/system/klaviyo-syncd.service"
rm -f "$R"/etc/systemd/system/*.service

# Exposure level (0-100; systemd prints it divided by 10): 2.5 or less.
for u in klaviyo-connect-fcgi klaviyo-syncd; do
	if ! out=$(systemd-analyze security --offline=true --root="$R" \
	    --threshold=25 "$U/$u.service" 2>&1); then
		bad "$u: exposure above 2.5:"
		printf '%s\n' "$out" | tail -3
	fi
done

[ $fail -eq 0 ] && echo "PASS: units verified, paths agree ($KC_RUNDIR)"
exit $fail
