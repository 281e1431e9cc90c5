#!/usr/bin/env bash
# Create .venv with everything the app and its tests need. Idempotent: re-runs only when
# pyproject.toml changed. torch comes first, pinned to the CPU wheel (a plain `torch` requirement
# would pull a CUDA build of several GB).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
[ -f "$stamp" ] && exit 0
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" --upgrade pip
"${pip[@]}" torch==2.13.0
"${pip[@]}" -e '.[dev,bench,ray]'
rm -f "$VENV"/.installed-*
touch "$stamp"
