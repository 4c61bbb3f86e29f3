#!/bin/bash
# Installs l3afd's build and test dependencies from Debian 12's packages.
set -euo pipefail

PACKAGES=(
        # build
        meson ninja-build pkg-config gcc clang llvm bpftool
        libbpf-dev libelf-dev zlib1g-dev libsystemd-dev libglib2.0-dev
        libgnutls28-dev libcurl4-gnutls-dev libarchive-dev libjson-glib-dev scdoc
        # the Prometheus endpoint (l3afd-metrics.socket)
        libmicrohttpd-dev
        # install directories (pkg-config): dbus-1, polkit-gobject-1
        libdbus-1-dev libpolkit-gobject-1-dev
        # tests
        iproute2 util-linux procps xdp-tools dbus-daemon dbus-bin polkitd
        systemd openssl gnutls-bin python3 libclang-rt-14-dev
        # system tests (tests/system): systemd as PID 1 in a container
        systemd-container
        # org.l3af.Chain1 tests: bus-call.py
        python3-dbus
        # metrics tests: promtool check metrics, curl, l3afctl stats --watch under tmux
        prometheus curl tmux
)

missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" != 0 ]; then
                echo "Missing packages: ${missing[*]} (run as root to install them)" >&2
                exit 1
        fi
        echo "Installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
