#!/usr/bin/env bash
# npm run build:asan — the native addon with AddressSanitizer + UndefinedBehaviorSanitizer, into
# build-asan/ (the normal build/ is left as it is). Run its tests with scripts/test-asan.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
node node_modules/cmake-js/bin/cmake-js compile --out build-asan --log-level warn \
  --CDCMAKE_CXX_FLAGS="$SAN" --CDCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
test -f build-asan/Release/ctlkit.node
echo "build:asan: build-asan/Release/ctlkit.node"
