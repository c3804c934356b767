#!/usr/bin/env bash
# Make sure the tools tests/test_deploy.py needs are installed from Debian's packages: nginx (the TLS
# proxy that scripts/deploy/nginx/parent-support.conf is for), bubblewrap (to run each systemd unit's
# command read-only, as ProtectSystem=strict would) and openssl (the test's throwaway certificate).
# Idempotent: does nothing when all are present. Prints their paths as its last lines.
#
# Installing nginx where systemd runs starts Debian's default site on port 80 (a container with
# policy-rc.d does not): `systemctl disable --now nginx` afterwards if that machine should not serve it.
set -euo pipefail
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/bwrap ] || missing+=(bubblewrap)
[ -x /usr/bin/openssl ] || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing ${missing[*]}, and installing needs root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "Missing ${missing[*]} and apt-get is not available" >&2; exit 1; }
  echo "Installing Debian's ${missing[*]} (once)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >&2
fi
echo "NGINX=/usr/sbin/nginx"
echo "BWRAP=/usr/bin/bwrap"
echo "OPENSSL=/usr/bin/openssl"
