#!/usr/bin/env bash
# Install what the browser test needs: Debian's headless-capable Chromium, plus fonts that cover
# Vietnamese (without them, screenshots mix fallback glyphs into every accented word).
# Idempotent and quick when everything is present. Needs root (CI runs as root) or passwordless sudo.
set -euo pipefail

packages=(chromium fonts-liberation2 fonts-dejavu-core)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ -x /usr/bin/chromium ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "install-browser: need root to install ${missing[*]}: run \`sudo $0\`" >&2
    exit 1
fi

echo "install-browser: installing ${missing[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
/usr/bin/chromium --version >&2
