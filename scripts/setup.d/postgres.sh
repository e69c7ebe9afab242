#!/usr/bin/env bash
# PostgreSQL server binaries for the results server's tests (Debian's postgresql). Nothing is
# started here: tests/server/conftest.py runs initdb + pg_ctl in a temporary directory on a free
# loopback port and stops it at the end of the session (or uses $DEFCORE_TEST_POSTGRES_URL).
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" > /dev/null && getent passwd postgres > /dev/null; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql > /dev/null
