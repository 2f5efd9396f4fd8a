#!/usr/bin/env bash
# pgcluster.sh — a throwaway PostgreSQL cluster for the tests and benchmarks.
#
#   pgcluster.sh install          install PostgreSQL from Debian if it is missing (as root)
#   pgcluster.sh start DIR        initdb and start a cluster in DIR (created, must be empty);
#                                 prints its DSN on stdout
#   pgcluster.sh restart DIR [M]  restart it with pg_ctl shutdown mode M (immediate by default:
#                                 a crash of the server, recovered from its WAL)
#   pgcluster.sh stop DIR         stop it (DIR stays)
#   pgcluster.sh run CMD...       start a cluster in a new temporary directory, run CMD with
#                                 TANDEM_TEST_POSTGRES set to its DSN, stop it and remove the
#                                 directory, and exit with CMD's status. With
#                                 TANDEM_TEST_POSTGRES already set, run CMD as it is.
#
# The server listens on a Unix socket inside DIR only (no TCP port, so clusters never
# collide). initdb and pg_ctl refuse to run as root: as root they run as the user
# "postgres" (which the Debian package creates), or "tandem-pg", created if need be.
# PG_FSYNC=on keeps fsync on (durable commits, for the benchmarks); by default the tests'
# clusters run with fsync off, which only matters if the machine itself crashes: a
# crash or restart of PostgreSQL alone loses nothing acknowledged either way.
set -euo pipefail

bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return; fi
	if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
	return 1
}

install() {
	if bindir >/dev/null; then return; fi
	if [[ $(id -u) != 0 ]]; then
		echo "pgcluster: PostgreSQL is not installed; run as root (or apt-get install postgresql)" >&2
		exit 1
	fi
	echo "pgcluster: installing PostgreSQL from Debian" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	bindir >/dev/null || { echo "pgcluster: no initdb after installing postgresql" >&2; exit 1; }
}

# as USER CMD...: run CMD as the cluster's owner.
runas() {
	if [[ $(id -u) != 0 ]]; then "$@"; return; fi
	runuser -u "$(pguser)" -- "$@"
}

pguser() {
	if id -u postgres >/dev/null 2>&1; then echo postgres; return; fi
	if ! id -u tandem-pg >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin tandem-pg
	fi
	echo tandem-pg
}

start() {
	local dir=$1 bin
	bin=$(bindir) || { echo "pgcluster: PostgreSQL is not installed (pgcluster.sh install)" >&2; exit 1; }
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	chmod 755 "$dir"
	if [[ $(id -u) == 0 ]]; then chown "$(pguser)" "$dir"; fi
	runas "$bin/initdb" -D "$dir/data" -U tandem -A trust -E UTF8 --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
		|| { cat "$dir/initdb.log" >&2; exit 1; }
	local fsync=${PG_FSYNC:-off}
	# The settings live in postgresql.conf, so that a restart keeps them.
	runas tee -a "$dir/data/postgresql.conf" >/dev/null <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$dir'
		max_connections = 400
		fsync = $fsync
		full_page_writes = $fsync
		log_min_messages = warning
	EOF
	runas "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start >/dev/null \
		|| { cat "$dir/server.log" >&2; exit 1; }
	echo "postgres://tandem@/postgres?host=$dir&sslmode=disable"
}

stop() {
	local bin dir=$1
	bin=$(bindir)
	if [[ -f "$dir/data/postmaster.pid" ]]; then
		runas "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
	fi
}

restart() {
	local bin dir=$1 mode=${2:-immediate}
	bin=$(bindir)
	runas "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m "$mode" -w -t 120 restart >/dev/null \
		|| { cat "$dir/server.log" >&2; exit 1; }
}

run() {
	if [[ -n "${TANDEM_TEST_POSTGRES:-}" ]]; then "$@"; return; fi
	local status=0
	# In /tmp, not $TMPDIR: the cluster's user must reach it, and a Unix socket's path is short.
	rundir=$(mktemp -d /tmp/tandem-pg.XXXXXX)
	trap 'stop "$rundir"; rm -rf "$rundir"' EXIT
	TANDEM_TEST_POSTGRES=$(start "$rundir")
	export TANDEM_TEST_POSTGRES
	"$@" || status=$?
	return $status
}

cmd=${1:-}
shift || true
case "$cmd" in
install) install ;;
start) start "$1" ;;
stop) stop "$1" ;;
restart) restart "$@" ;;
run) run "$@" ;;
*) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
