#!/usr/bin/env bash
# Installs what building and testing sejf needs on Debian 12, and nothing
# that is already there: the Debian packages below (apt-get, through sudo
# when not root) and the npm dev tools of tools/package.json (buf, the Node
# gRPC client of the interop test). Idempotent; a no-op run takes well under
# a second.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libssl-dev openssl libsodium-dev
  softhsm2 opensc libp11-kit-dev libp11-dev
  libsqlite3-dev sqlite3
  libpq-dev postgresql-15  # vault/storage/postgres (libpq); its tests start a private server
  libxml2-dev xmlsec1 libxmlsec1-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libcurl4-openssl-dev python3
  libqrencode-dev libpng-dev zbar-tools file
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev  # make fuzz: clang++ with libFuzzer (fuzz/)
  python3 python3-cryptography libxml2-utils curl
  nodejs npm
  e2fsprogs mount  # tests/storage_fault_e2e_test: mkfs.ext4, chattr, mount -o loop
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # npm and nodejs may come from elsewhere (e.g. a NodeSource install).
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm dev tools, reinstalled only when the lock file changed.
stamp=tools/node_modules/.sejf-installed
if [ ! -f "$stamp" ] || [ tools/package-lock.json -nt "$stamp" ]; then
  echo "installing npm dev tools (tools/package.json)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi
