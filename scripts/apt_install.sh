# Sourced by scripts/setup.d/*.sh: `apt_install_without_starting PACKAGE...` installs Debian
# packages without letting their scripts start the servers they carry (a container's
# policy-rc.d usually says so already; a machine with systemd would start them at once): the
# lab starts its own copies under its directory and stops them by pid.
apt_install_without_starting() {
    local sudo="" policy=/usr/sbin/policy-rc.d added_policy=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" > /dev/null
        $sudo chmod 755 "$policy"
        added_policy=1
    fi
    local status=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq || status=$?
    if [ "$status" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            "$@" > /dev/null || status=$?
    fi
    [ -n "$added_policy" ] && $sudo rm -f "$policy"
    return "$status"
}
