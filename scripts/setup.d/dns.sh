#!/usr/bin/env bash
# The DNS add-on's backend (defcore/lab/services/bind9.py): Debian's BIND 9 `named`, driven by
# Designate through `rndc` (bind9-utils), and `dig` (bind9-dnsutils) for the tests that ask the
# served zones for real. Nothing is started here, and nothing may be left running: the lab
# starts its own named under its directory and stops it by pid.
set -euo pipefail
need=()
[ -x /usr/sbin/named ] || need+=(bind9)
command -v rndc > /dev/null || need+=(bind9-utils)
command -v dig > /dev/null || need+=(bind9-dnsutils)
[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# The package's scripts must not start the host's named (see platform.sh).
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" > /dev/null
    $SUDO chmod 755 "$policy"
    added_policy=1
fi
cleanup() { [ -n "$added_policy" ] && $SUDO rm -f "$policy"; return 0; }
trap cleanup EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
if command -v systemctl > /dev/null && systemctl is-active --quiet named 2> /dev/null; then
    $SUDO systemctl stop named || true
fi
if id -u bind > /dev/null 2>&1; then
    for pid in $(pgrep -u bind -x named 2> /dev/null || true); do
        $SUDO kill "$pid" 2> /dev/null || true
    done
fi
