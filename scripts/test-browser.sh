#!/usr/bin/env bash
# Make sure Debian's Chromium and its matching ChromeDriver are installed, for the browser tests.
# Idempotent: does nothing when both are present. Prints the two paths as its last lines.
set -euo pipefail
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Chromium is missing and installing it needs root: apt-get install chromium chromium-driver" >&2
    exit 1
  fi
  echo "Installing Debian's chromium and chromium-driver (once)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2
fi
echo "CHROMIUM=/usr/bin/chromium"
echo "CHROMEDRIVER=/usr/bin/chromedriver"
