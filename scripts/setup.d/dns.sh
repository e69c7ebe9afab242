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
source "$(dirname "$0")/../apt_install.sh"
apt_install_without_starting "${need[@]}"
if command -v systemctl > /dev/null && systemctl is-active --quiet named 2> /dev/null; then
    $SUDO systemctl stop named || true
fi
if id -u bind > /dev/null 2>&1; then
    for pid in $(pgrep -u bind -x named 2> /dev/null || true); do
        $SUDO kill "$pid" 2> /dev/null || true
    done
fi
