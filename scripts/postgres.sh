#!/usr/bin/env bash
# A throw-away PostgreSQL for the tests: initdb in a temporary directory as an unprivileged
# user, listening on 127.0.0.1 on a free port. Source it: it exports
#   CINNOX_TEST_POSTGRES_URL   postgres://cinnox@127.0.0.1:PORT/postgres (trust auth)
#   CINNOX_TEST_PG_CTL, CINNOX_TEST_PGDATA, CINNOX_TEST_PG_USER   (for the restart test)
# and defines cinnox_pg_stop (call it on exit). Runs as root: the server runs as `nobody`.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pguser=nobody
pgdata=$(mktemp -d /tmp/cinnox-pg.XXXXXX)
chown "$pguser" "$pgdata"
chmod 700 "$pgdata"
runuser -u "$pguser" -- "$pgbin/initdb" -D "$pgdata" -A trust -U cinnox >/dev/null
# A free port below the kernel's ephemeral range: while the restart test has the server
# down, no outgoing connection or bind(:0) elsewhere can take it.
pgport=$(python3 - <<'PY'
import os, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
start = 10000 + os.getpid() * 7919 % max(1, low - 10000)
for i in range(low - 10000):
    port = 10000 + (start - 10000 + i) % (low - 10000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port below %d" % low)
PY
)
# In the configuration file rather than on the command line, so that the restart test's
# plain `pg_ctl stop` / `pg_ctl start` bring back the same server.
cat >>"$pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$pgdata'
max_connections = 200
fsync = on
EOF
runuser -u "$pguser" -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w start >/dev/null
export CINNOX_TEST_POSTGRES_URL="postgres://cinnox@127.0.0.1:$pgport/postgres"
export CINNOX_TEST_PG_CTL="$pgbin/pg_ctl"
export CINNOX_TEST_PGDATA="$pgdata"
export CINNOX_TEST_PG_USER="$pguser"
cinnox_pg_stop() {
    runuser -u "$CINNOX_TEST_PG_USER" -- "$CINNOX_TEST_PG_CTL" -D "$CINNOX_TEST_PGDATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$CINNOX_TEST_PGDATA"
}
