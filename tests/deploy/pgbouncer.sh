#!/usr/bin/env bash
# PgBouncer (Debian's package, pool_mode = transaction, three server
# connections) between every program and PostgreSQL, set up as
# docs/INSTALL.md says: the integration suites that sign in (auth), show
# a store's status (status) and sync (sync: jobs, the outbox,
# klaviyo-syncd runs) pass with DB_TRANSACTION_POOLING=1.  run.sh first
# checks that without the switch PgBouncer refuses the connection, and at
# the end that the services' traffic went through it without a pooling
# error.  Needs the pgbouncer package (scripts/common.sh installs it).
set -euo pipefail
SRC=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
KC_ROOT=$SRC
. "$SRC/scripts/common.sh"

if [ ! -x /usr/sbin/pgbouncer ]; then
	echo "SKIP: pgbouncer is not installed (apt-get install pgbouncer)"
	exit 77
fi
for suite in auth status sync; do
	kc_say "suite $suite through PgBouncer"
	KC_PGBOUNCER=1 KC_SKIP_BROWSER=1 CK_RUN_SUITE=$suite \
	    bash "$SRC/tests/integration/run.sh"
done
echo "PASS: auth, status and sync through PgBouncer (transaction pooling)"
