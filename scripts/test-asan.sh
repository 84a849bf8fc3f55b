#!/usr/bin/env bash
# The native test suites against the sanitized addon (npm run build:asan first): Node itself is not
# instrumented, so the sanitizer runtimes are preloaded (LD_PRELOAD of gcc's libasan + libubsan).
# LeakSanitizer checks at exit; scripts/asan/lsan.supp holds the only suppressions (Node's own).
# A self-test first proves errors in an addon are caught in this setup. Exit 0 = all clean.
set -euo pipefail
cd "$(dirname "$0")/.."
test -f build-asan/Release/ctlkit.node || { echo "test-asan: run npm run build:asan first" >&2; exit 1; }
test -f dist/test/native_ops.test.js || { echo "test-asan: run npm run build first" >&2; exit 1; }
ASAN_LIB=$(gcc -print-file-name=libasan.so)
UBSAN_LIB=$(gcc -print-file-name=libubsan.so)
SAN_ENV=(
  LD_PRELOAD="$ASAN_LIB $UBSAN_LIB"
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=0"
  LSAN_OPTIONS="suppressions=$PWD/scripts/asan/lsan.supp:print_suppressions=0"
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
)

# 1. self-test: a broken addon must be reported (else the setup proves nothing)
SELF=build-asan/selftest.node
gcc -shared -fPIC -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -I"$(node -p "require('node-api-headers').include_dir")" -DNODE_GYP_MODULE_NAME=selftest \
  scripts/asan/selftest.c -o "$SELF"
for fn in overflow leak ubsan; do
  want=$([ $fn = overflow ] && echo heap-buffer-overflow || ([ $fn = leak ] && echo "detected memory leaks" || echo "shift exponent"))
  if out=$(env "${SAN_ENV[@]}" node -e "require('./$SELF').$fn()" 2>&1); then
    echo "test-asan: self-test $fn was not reported" >&2; exit 1
  fi
  grep -q "$want" <<<"$out" || { echo "test-asan: self-test $fn: expected '$want' in:" >&2; echo "$out" | head -20 >&2; exit 1; }
  echo "test-asan: self-test $fn reported ($want)"
done

# 2. the addon the tests load is the sanitized one
env "${SAN_ENV[@]}" CTLKIT_NATIVE_ADDON=build-asan/Release/ctlkit.node node --input-type=module -e "
  const { loadNative } = await import('./dist/src/backends/native/bindings.js');
  loadNative();
  const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
  if (!maps.includes('build-asan/Release/ctlkit.node') || !maps.includes('libasan')) { console.error('test-asan: the sanitized addon is not the one loaded'); process.exit(1); }
  console.log('test-asan: build-asan/Release/ctlkit.node loaded with libasan');"

# 3. the suites that run the native backend (webgpu kept out: no Vulkan driver is visible).
# LeakSanitizer's own tracer (the thread that stops the world at exit) sometimes dies of a SIGSEGV
# while Node's threads exit ("LeakSanitizer has encountered a fatal error"): that is no report
# about the code, so that case alone is run once more.
suites() {
  env "${SAN_ENV[@]}" CTLKIT_NATIVE_ADDON=build-asan/Release/ctlkit.node CTLKIT_REQUIRE_BACKENDS=native \
    VK_ICD_FILENAMES=/nonexistent/ctlkit-icd.json VK_DRIVER_FILES=/nonexistent/ctlkit-icd.json \
    node node_modules/uvu/bin.js dist/test '^(native_ops|gemm_bf16|backend_ops|backend_ops_harness|tensor|models|models_stage|sweep_consistency|sweep_golden|sweep_zero_norm|merge)\.test\.js$' \
    >/tmp/ctlkit-asan.log 2>&1
}
for attempt in 1 2; do
  status=0
  suites || status=$?
  grep -vE "^Warning: (vkCreateInstance|loader_get_json)" /tmp/ctlkit-asan.log | grep -E "Total|Passed|ERROR|runtime error|SUMMARY|FAIL" || true
  if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" /tmp/ctlkit-asan.log; then
    grep -E -A30 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" /tmp/ctlkit-asan.log | head -80 >&2
    echo "test-asan: sanitizer reports above" >&2; exit 1
  fi
  if [ "$status" -ne 0 ] && [ "$attempt" -eq 1 ] && grep -q "LeakSanitizer has encountered a fatal error" /tmp/ctlkit-asan.log \
     && ! grep -q "FAIL" /tmp/ctlkit-asan.log; then
    echo "test-asan: LeakSanitizer's tracer crashed (not a report); running the suites once more"; continue
  fi
  [ "$status" -eq 0 ] || { tail -40 /tmp/ctlkit-asan.log >&2; echo "test-asan: tests failed (exit $status)" >&2; exit "$status"; }
  break
done
echo "test-asan: clean (ASan + UBSan + LSan)"
