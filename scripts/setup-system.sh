#!/usr/bin/env bash
# Debian packages ctlkit's tests use (run as root on bookworm; a no-op where they are present):
# - a CPU Vulkan driver new enough for Dawn (Mesa ≥ 24 lavapipe from bookworm-backports; bookworm's
#   own Mesa 22.3 is rejected by Dawn), so the WebGPU backend runs in CI;
# - chromium, to render the HTML report as a person would see it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

need=()
dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[4-9]\.' || need+=(vulkan)
command -v chromium >/dev/null || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "setup-system: missing ${need[*]}; run this script as root to install them" >&2
  exit 1
fi

# Enable bookworm-backports from the machine's own Debian source entry (same mirror).
src=/etc/apt/sources.list.d/debian.sources
bp=/etc/apt/sources.list.d/ctlkit-backports.sources
if [ ! -f "$bp" ] && [ -f "$src" ]; then
  uri=$(grep -m1 '^URIs:' "$src")
  keyring=$(grep -m1 '^Signed-By:' "$src" || true)
  printf 'Types: deb\n%s\nSuites: bookworm-backports\nComponents: main\n%s\n' "$uri" "$keyring" > "$bp"
fi
apt-get update -q >/dev/null
apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
apt-get install -y -q chromium >/dev/null
