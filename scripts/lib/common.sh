# Shared by scripts/setup, demo, test and lab (and the integration tests'
# lib.sh): packages, hugepages, build, process checks.
# Source it; every function is idempotent.

TANDEM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TANDEM_BUILD=${TANDEM_BUILD:-$TANDEM_ROOT/build}
TANDEM_FUZZ_BUILD=${TANDEM_FUZZ_BUILD:-$TANDEM_ROOT/build-fuzz}
# 2 MiB pages to reserve: two lab nodes and a traffic generator fit in 2 GiB.
TANDEM_HUGEPAGES=${TANDEM_HUGEPAGES:-1024}

# Everything Tandem builds with, tests with and runs in its lab.
TANDEM_PACKAGES=(
  g++ meson ninja-build pkg-config python3
  libdpdk-dev dpdk dpdk-dev libnuma-dev libpcap-dev libelf-dev zlib1g-dev
  libssl-dev openssl tzdata libbpf-dev libxdp-dev libhyperscan-dev libjemalloc-dev
  libgtest-dev libgmock-dev
  clang llvm lld libclang-rt-14-dev
  iproute2 iputils-ping iputils-arping procps psmisc curl tcpdump iperf3 netcat-openbsd ethtool hping3
  nginx
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[33mwarning: %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror: %s\033[0m\n' "$*" >&2; exit 1; }

# running <pid>: the process exists and is not a zombie. The lab's nodes
# are orphans once `scripts/lab up` returns, and the init of some sandboxes
# reaps orphans only every second or two: `kill -0` alone took a node that
# had exited for one still running (and `lab down` waited ~2 s per node).
running() {
  local st
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st%% *}" != Z ]
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "$(basename "$0") needs root (DPDK, hugepages, network namespaces); run it with sudo"
}

install_packages() {
  local missing=()
  for p in "${TANDEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "packages: all ${#TANDEM_PACKAGES[@]} present"
    return 0
  fi
  say "packages: installing ${missing[*]}"
  apt-get update -qq || die "apt-get update failed; is the Debian archive reachable?"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/tmp/tandem-apt.log 2>&1 || { tail -20 /tmp/tandem-apt.log; die "apt-get install failed (log: /tmp/tandem-apt.log)"; }
}

# Reserves and mounts hugepages. Where that fails (a container without
# privileges, say) tandemd falls back to --no-huge by itself and says so.
setup_hugepages() {
  local have
  have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
  if [ "$have" -lt "$TANDEM_HUGEPAGES" ]; then
    echo "$TANDEM_HUGEPAGES" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
    have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
  fi
  if ! grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  fi
  if [ "$have" -lt "$TANDEM_HUGEPAGES" ] || ! grep -q ' hugetlbfs ' /proc/mounts; then
    warn "could reserve only $have of $TANDEM_HUGEPAGES hugepages (or mount hugetlbfs); tandemd will run with --no-huge"
  else
    say "hugepages: $have x 2 MiB reserved, hugetlbfs mounted"
  fi
}

# dpdk_forget <prefix>: removes what the DPDK processes whose --file-prefix
# starts with <prefix> left behind: runtime dirs and hugepage files. DPDK
# 22.11 leaves both when a process ends, and the files keep their
# hugepages until the next DPDK process starts and reclaims unused ones;
# a process killed mid-run leaves them in any case.
dpdk_forget() {
  local mnt
  rm -rf /var/run/dpdk/"$1"* 2>/dev/null || true
  for mnt in $(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts); do
    rm -f "$mnt/$1"* 2>/dev/null || true
  done
}

build_tandem() {
  if [ ! -f "$TANDEM_BUILD/build.ninja" ]; then
    say "configuring $TANDEM_BUILD"
    meson setup "$TANDEM_BUILD" "$TANDEM_ROOT" -Dwerror=true >/tmp/tandem-meson.log 2>&1 \
      || { cat /tmp/tandem-meson.log; die "meson setup failed"; }
  fi
  say "building (ninja -C $TANDEM_BUILD)"
  ninja -C "$TANDEM_BUILD" >/tmp/tandem-build.log 2>&1 \
    || { grep -E 'error|FAILED' -A5 /tmp/tandem-build.log | head -60; die "build failed (log: /tmp/tandem-build.log)"; }
}
