#!/usr/bin/env bash
# Debian packages of the Platform lab: MariaDB (its database server), RabbitMQ (its message queue),
# qemu-utils (Cinder converts images with qemu-img), openssh-server and iproute2 (the guests).
# Nothing is started here, and nothing may be left running: the lab starts its own mariadbd,
# epmd and RabbitMQ node under its directory and stops them by pid.
set -euo pipefail
need=()
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v qemu-img > /dev/null || need+=(qemu-utils)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ip > /dev/null || need+=(iproute2)
[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
source "$(dirname "$0")/../apt_install.sh"
apt_install_without_starting "${need[@]}"
# Whatever a package started anyway runs as the user the package made (mysql, rabbitmq):
# stop those processes by pid; the lab's own run as the user who starts the lab.
for unit in mariadb rabbitmq-server epmd.socket epmd; do
    if command -v systemctl > /dev/null && systemctl is-active --quiet "$unit" 2> /dev/null; then
        $SUDO systemctl stop "$unit" || true
    fi
done
for user in mysql rabbitmq; do
    id -u "$user" > /dev/null 2>&1 || continue
    for pid in $(pgrep -u "$user" 2> /dev/null || true); do
        $SUDO kill "$pid" 2> /dev/null || true
    done
done
