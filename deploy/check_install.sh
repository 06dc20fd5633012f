#!/usr/bin/env bash
# ctest deploy_install_layout: `cmake --install BUILD --prefix WORK/usr`, then
# the files of the layout in deploy/CMakeLists.txt are there, the installed
# unit names the installed sejfd and `systemd-analyze verify` takes it clean.
#   check_install.sh BUILD WORK
set -euo pipefail
build=$1 work=$2
rm -rf "$work"
prefix="$work/usr"
cmake --install "$build" --prefix "$prefix" > "$work.log" 2>&1 ||
  { cat "$work.log"; echo "0 passed, 1 failed"; exit 1; }
fail=0
for f in bin/sejfd bin/sejf lib/systemd/system/sejfd.service \
    lib/sysusers.d/sejf.conf share/doc/sejf/README.md \
    share/doc/sejf/sejfd.example.toml share/doc/sejf/docs/operations.md \
    share/doc/sejf/docs/architecture.md; do
  if [ -e "$prefix/$f" ]; then echo "ok   $f"; else echo "FAIL missing $f"; fail=1; fi
done
unit="$prefix/lib/systemd/system/sejfd.service"
if grep -q "^ExecStart=$prefix/bin/sejfd --config /etc/sejf/sejfd.toml$" "$unit" &&
   ! grep -q '/usr/local/' "$unit"; then
  echo "ok   the unit names $prefix/bin/sejfd"
else
  echo "FAIL the installed unit's paths:"; grep -n 'usr' "$unit"; fail=1
fi
if out=$(systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
  echo "ok   systemd-analyze verify on the installed unit"
else
  echo "FAIL systemd-analyze verify:"; echo "$out"; fail=1
fi
"$prefix/bin/sejfd" --version | grep -q '^sejfd ' ||
  { echo "FAIL the installed sejfd does not run"; fail=1; }
rm -rf "$work"
if [ "$fail" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit "$fail"
