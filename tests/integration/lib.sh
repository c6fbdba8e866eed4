# Helpers for the integration tests: assertions that count and explain.
# Source from a test script; call `finish` last.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export TANDEM_BUILD=${TANDEM_BUILD:-$ROOT/build}
# shellcheck source=../../scripts/lib/common.sh
. "$ROOT/scripts/lib/common.sh"  # running <pid>
TANDEMD=$TANDEM_BUILD/controlplane/daemon/tandemd
TANDEMCTL=$TANDEM_BUILD/controlplane/cli/tandemctl
_pass=0 _fail=0

ok() { _pass=$((_pass + 1)); echo "ok   - $*"; }
not_ok() { _fail=$((_fail + 1)); echo "FAIL - $*"; }
# check "description" command... : passes when the command exits 0.
check() { local d=$1; shift; if "$@" >/tmp/tandem-check.out 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/    /' /tmp/tandem-check.out | head -20; fi; }
check_not() { local d=$1; shift; if "$@" >/tmp/tandem-check.out 2>&1; then not_ok "$d"; sed 's/^/    /' /tmp/tandem-check.out | head -20; else ok "$d"; fi; }
# contains "description" "haystack" "needle"
contains() { if grep -qF -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1: '$3' not in:"; sed 's/^/    /' <<<"$2" | head -20; fi; }
# in_sync_before_active <node log>: in the node's last run (after its last
# "tandemd ... started"), "tables in sync with the primary" comes before
# "data ports active" — the takeover gate held. Prints both line numbers.
in_sync_before_active() {
  local run s a
  run=$(awk '/tandemd .* started/ {buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$1")
  s=$(grep -n 'tables in sync with the primary' <<<"$run" | head -1 | cut -d: -f1)
  a=$(grep -n 'data ports active' <<<"$run" | head -1 | cut -d: -f1)
  echo "in sync at line ${s:-never}, primary at line ${a:-never}"
  [ -n "$s" ] && [ -n "$a" ] && [ "$s" -lt "$a" ]
}
# lab_up: scripts/lab up with the environment the test set (a `VAR=value
# lab_up` prefix too), then its env sourced; a lab that does not come up
# ends the test. The test's own trap takes the lab down.
lab_up() {
  "$ROOT/scripts/lab" up || { not_ok "lab up"; finish; }
  . /run/tandem-lab/env
}
# The lab's nodes and client, once the test sourced /run/tandem-lab/env:
# `ctl a|b <command...>` runs tandemctl on a node (a test may define its own
# ctl after this), `client <command...>` runs in the client namespace,
# `primary_of a|b` is the hostname that node names as primary, and
# `wait_primary <node> <hostname> <seconds>` waits until it names that one.
ctl() { local n=$1; shift; "$TANDEMCTL" -s "$LAB_DIR/$n.sock" "$@"; }
client() { ip netns exec "$CLIENT_NS" "$@"; }
primary_of() { ctl "$1" get system ha status 2>/dev/null | sed -n 's/^Primary \+: *\([^ ,]*\).*/\1/p'; }
wait_primary() {
  for _ in $(seq 1 $(($3 * 10))); do [ "$(primary_of "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}
# `wait_in_sync <node> <seconds>`: config sync's link to the peer says in-sync.
wait_in_sync() {
  for _ in $(seq 1 $(($2 * 10))); do
    ctl "$1" diagnose ha stats 2>/dev/null | grep -q '^config sync : in-sync' && return 0
    sleep 0.1
  done
  ctl "$1" diagnose ha stats
  return 1
}
# keep_lab: on a failure (or with TANDEM_KEEP_LAB set), copy the lab's logs (nodes' output, event logs,
# servers) somewhere the test's own clean-up leaves alone, and say where.
keep_lab() {
  local dir=/run/tandem-lab LOGS_KEEP
  [ -d "$dir" ] || return 0
  LOGS_KEEP=${TANDEM_KEEP_DIR:-/tmp}/tandem-failed-$(basename "$0" .sh)-$(date +%H%M%S)
  mkdir -p "$LOGS_KEEP" && (cd "$dir" && cp -r --parents -- *.log *-log "$LOGS_KEEP"/ 2>/dev/null)
  echo "# lab logs kept in $LOGS_KEEP"
}
finish() {
  echo "# $_pass passed, $_fail failed"
  if [ "$_fail" -ne 0 ] || [ -n "${TANDEM_KEEP_LAB:-}" ]; then keep_lab; fi
  [ "$_fail" -eq 0 ]; exit $?
}
