#!/usr/bin/env bash
# Install nginx (Debian/Ubuntu) for the deployment tests and `make nginx`; safe to run again.
# Run as root. The package's own service is not started: the tests run nginx with their own
# prefix and configuration (see deploy/nginx.conf.template).
set -euo pipefail

if command -v nginx >/dev/null 2>&1; then
  echo "nginx is already installed: $(command -v nginx)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-nginx.sh must run as root (it uses apt-get)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-nginx.sh needs apt-get; install nginx with your system's package manager" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep the package's post-install script from starting a system nginx on port 80.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update -qq
# nginx-light (Debian 12) has everything deploy/nginx.conf uses; newer releases ship only nginx.
if ! apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
nginx -v
