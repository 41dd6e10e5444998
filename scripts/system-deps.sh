#!/usr/bin/env bash
# Make sure the Debian packages the test suite needs are installed:
#   chromium            the browser for the e2e journeys (/usr/bin/chromium)
#   fonts-wqy-microhei  a CJK font, or Chinese renders as boxes in screenshots
#   postgresql          server binaries under /usr/lib/postgresql/*/bin for scripts/pg-cluster.sh
#   wrk                 the HTTP load generator of `make bench-load`
# All present: exits at once. Missing and root: apt-get update once, then install. Missing and
# not root: names the packages and exits 1.
set -euo pipefail

PACKAGES=(chromium fonts-wqy-microhei postgresql wrk)

installed() {
    # dpkg says "install ok installed" only for a fully configured package.
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

have_pg_server() {
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done
# Belt and braces: the package metadata can be present while the files are not.
[[ -x /usr/bin/chromium ]] || [[ " ${missing[*]} " == *" chromium "* ]] || missing+=(chromium)
have_pg_server || [[ " ${missing[*]} " == *" postgresql "* ]] || missing+=(postgresql)

if ((${#missing[@]} == 0)); then
    echo "system-deps: ${PACKAGES[*]} already installed"
    exit 0
fi

if ((EUID != 0)); then
    cat >&2 <<EOF
system-deps: missing Debian packages: ${missing[*]}
system-deps: install them as root, then run this again:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}
EOF
    exit 1
fi

command -v apt-get >/dev/null || { echo "system-deps: apt-get not found; install by hand: ${missing[*]}" >&2; exit 1; }

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

# Verify, so a half-done install fails here rather than deep inside the tests.
still=()
for pkg in "${missing[@]}"; do
    installed "$pkg" || still+=("$pkg")
done
[[ -x /usr/bin/chromium ]] || still+=("chromium (/usr/bin/chromium)")
have_pg_server || still+=("postgresql (/usr/lib/postgresql/*/bin/initdb)")
if ((${#still[@]})); then
    echo "system-deps: still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
echo "system-deps: done"
