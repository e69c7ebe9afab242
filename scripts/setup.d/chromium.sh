#!/usr/bin/env bash
# A real headless browser for the results server's page tests: Debian's chromium and
# chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); Playwright drives /usr/bin/chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver > /dev/null
