#!/usr/bin/env bash
# Sourced by scripts/certify and scripts/test: makes .venv with defcore and every extra installed,
# pinned by constraints/*.txt, and points defcore at ../shared/data when it is beside the checkout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DEFCORE_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
fi
# Re-install only when the project's dependency files changed since the last install.
stamp="$VENV/.defcore-deps"
shopt -s nullglob
constraint_files=("$ROOT"/constraints/*.txt)
shopt -u nullglob
want="$(cat "$ROOT/pyproject.toml" "${constraint_files[@]}" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    constraint_args=()
    for c in "${constraint_files[@]}"; do
        constraint_args+=(-c "$c")
    done
    "$VENV/bin/pip" install -q "${constraint_args[@]}" -e "$ROOT[lab,platform,lab-addons,runner,server,dev,addons]"
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"

if [ -z "${DEFCORE_GUIDELINES:-}" ] && [ -d "$ROOT/../shared/data/interop" ]; then
    export DEFCORE_GUIDELINES="$(cd "$ROOT/../shared/data/interop" && pwd)"
fi
if [ -z "${DEFCORE_GOVERNANCE:-}" ] && [ -d "$ROOT/../shared/data/governance" ]; then
    export DEFCORE_GOVERNANCE="$(cd "$ROOT/../shared/data/governance" && pwd)"
fi
