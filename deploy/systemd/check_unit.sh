#!/usr/bin/env bash
# ctest deploy_systemd_unit: the unit as systemd would load it.
#   check_unit.sh UNIT SYSUSERS SEJFD WORKDIR
# 1. `systemd-analyze verify` on a copy whose ExecStart= names SEJFD (the
#    built binary; verify checks that it exists and is executable): exit 0
#    and not one line of warning.
# 2. The directives the service depends on are there (Type=notify, the user,
#    the directories, ExecReload, the sandbox's core).
# 3. `systemd-sysusers --root` creates the user and group from SYSUSERS.
set -euo pipefail
unit=$1 sysusers=$2 sejfd=$3 work=$4
rm -rf "$work" && mkdir -p "$work/root/etc"
fail=0

sed "s|^ExecStart=/usr/local/bin/sejfd |ExecStart=$sejfd |" "$unit" \
  > "$work/sejfd.service"
grep -q "^ExecStart=$sejfd " "$work/sejfd.service" ||
  { echo "FAIL ExecStart= does not start with /usr/local/bin/sejfd"; fail=1; }
if out=$(systemd-analyze verify "$work/sejfd.service" 2>&1) && [ -z "$out" ]; then
  echo "ok   systemd-analyze verify: clean"
else
  echo "FAIL systemd-analyze verify:"; echo "$out"; fail=1
fi

for directive in Type=notify NotifyAccess=main User=sejf Group=sejf \
    StateDirectory=sejf ConfigurationDirectory=sejf RuntimeDirectory=sejf \
    'ExecReload=/bin/kill -HUP $MAINPID' UMask=0077 LimitCORE=0 \
    NoNewPrivileges=yes CapabilityBoundingSet= ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
    MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'; do
  if grep -qxF -- "$directive" "$unit"; then
    echo "ok   $directive"
  else
    echo "FAIL missing: $directive"; fail=1
  fi
done

if systemd-sysusers --root="$work/root" "$(realpath "$sysusers")" >/dev/null 2>&1 &&
   grep -q '^sejf:x:[0-9]*:[0-9]*:.*:/var/lib/sejf:/usr/sbin/nologin$' \
     "$work/root/etc/passwd" &&
   grep -q '^sejf:x:' "$work/root/etc/group"; then
  echo "ok   systemd-sysusers creates user and group sejf (no login shell)"
else
  echo "FAIL systemd-sysusers:"; cat "$work/root/etc/passwd" 2>&1; fail=1
fi

if [ "$fail" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit "$fail"
