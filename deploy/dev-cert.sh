#!/bin/sh
# A self-signed certificate for trying the compose file's HTTPS on this machine: writes
# deploy/certs/fullchain.pem and deploy/certs/privkey.pem (what deploy/nginx.conf loads) unless they
# exist. Browsers and curl do not trust it (curl: --cacert deploy/certs/fullchain.pem). In production
# put your real certificate chain and key there instead (e.g. Let's Encrypt's fullchain.pem and privkey.pem).
set -eu
dir="$(dirname "$0")/certs"
name="${1:-localhost}"
mkdir -p "$dir"
if [ -e "$dir/fullchain.pem" ] || [ -e "$dir/privkey.pem" ]; then
  echo "$dir already holds a certificate or key; remove them to make new ones" >&2
  exit 1
fi
san="DNS:localhost,IP:127.0.0.1"
[ "$name" = localhost ] || san="DNS:$name,$san"
# The key is readable by its owner only (nginx's master process, root in its container, loads it).
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=$name" \
  -addext "subjectAltName=$san" -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>/dev/null
chmod 644 "$dir/fullchain.pem"
echo "wrote $dir/fullchain.pem and $dir/privkey.pem (self-signed for $name, 30 days)"
