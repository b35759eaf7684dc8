#!/usr/bin/env bash
# Installs the Debian packages airgap's tests start or call, on a fresh Debian
# (12 or newer) machine. Run as root (or with sudo). Safe to rerun: it installs
# only what is missing and does nothing else when everything is there.
#
#   docker-registry  CNCF distribution 2.8, the registry every test copies to and from
#   skopeo           the independent client that reads what airgap writes
#   nginx            WebDAV file server and Helm chart repository
#   apache2-utils    htpasswd, for the registry's and nginx's Basic auth
#   openssl          throw-away CAs and certificates for the TLS tests
#   containerd       imports bundles the way k0s does
#   util-linux       setpriv (servers die with their test), mount (tmpfs disks)
#   bsdutils         script (a pseudo-terminal for the terminal tests)
#
# Packaged services must not start at install time: the tests start their own
# servers on random ports and stop them by the pid they recorded, so nothing
# here or in CI ever stops a process by name. While apt runs, a temporary
# /usr/sbin/policy-rc.d answers 101 ("action forbidden"), which invoke-rc.d and
# deb-systemd-invoke obey; an existing policy-rc.d is put back afterwards.
set -euo pipefail

packages=(docker-registry skopeo nginx apache2-utils openssl containerd util-linux bsdutils)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all present (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${missing[*]}; run as root: sudo $0" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then
  backup=$(mktemp)
  cp -p "$policy" "$backup"
fi
restore() {
  if [ -n "$backup" ]; then
    mv -f "$backup" "$policy"
  else
    rm -f "$policy"
  fi
}
trap restore EXIT
printf '#!/bin/sh\n# install-test-deps.sh: no service starts while it installs\nexit 101\n' >"$policy"
chmod 0755 "$policy"

echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-deps: done"
