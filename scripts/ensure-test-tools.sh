#!/bin/sh
# Runs before `npm test`. The Redis rate-limit store is tested against a real redis-server, and the
# docs' examples run with curl and jq (test/integration/docs-examples.test.ts); on a fresh Debian
# machine (as root) what is missing is installed from Debian's packages, like embedded-postgres
# creating its `postgres` user. Elsewhere, say what to install.
missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing$missing from Debian's packages (used by the tests)"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; }; then
    exit 0
  fi
fi
echo "pretest: the tests need$missing. Install them (Debian/Ubuntu: apt-get install$missing; macOS: brew install$missing) and run npm test again." >&2
exit 1
