#!/usr/bin/env bash
# nginx from Debian, for the two-replica load test (benchmarks/load_test.py); nothing else needs it.
# Installs the package only: no service is enabled or started, the load test runs its own nginx on a
# free loopback port with its own configuration. Needs root or passwordless sudo, as install-browser.sh.
set -euo pipefail
command -v nginx >/dev/null && exit 0
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "install-nginx: need root to install nginx-light: run \`sudo $0\`" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1 \
    || "${as_root[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]
