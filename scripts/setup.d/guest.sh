#!/usr/bin/env bash
# The Platform lab's guests (defcore/lab/guest.py): Debian's sshd in namespaces, plugged in
# with iproute2, volumes as loop devices (util-linux, mount). Nothing is started here: each
# guest runs its own sshd with its own configuration; the host's sshd is not used.
set -euo pipefail
if [ -x /usr/sbin/sshd ] && command -v ip nsenter unshare losetup ssh-keygen lsblk > /dev/null; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openssh-server openssh-client iproute2 \
    util-linux mount > /dev/null
