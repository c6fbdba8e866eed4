#!/usr/bin/env bash
# tandemd refuses configurations that do not validate, with file:line:col,
# and starts nothing; tandemctl explains when it cannot reach a daemon.
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir" /var/run/dpdk/tandem-it-nodev-$$' EXIT

cat >"$dir/bad.conf" <<'CONF'
config system global
    set hostname "bad"
end
config system ha
    set priority 300
    set grop-name "x"
end
CONF
out=$("$TANDEMD" -c "$dir/bad.conf" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "bad config exits 2" || not_ok "bad config exit code $rc (want 2)"
contains "range error names file:line:col" "$out" "$dir/bad.conf:5:"
contains "range error says the range" "$out" "0..255"
contains "unknown key is named with a suggestion" "$out" "group-name"
contains "says nothing started" "$out" "nothing started"

printf 'config system global\n  set hostname "x\n' >"$dir/unterminated.conf"
out=$("$TANDEMD" -c "$dir/unterminated.conf" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "unterminated string exits 2" || not_ok "unterminated string exit $rc"
contains "unterminated string located" "$out" "unterminated.conf:2:"

out=$("$TANDEMD" -c "$dir/missing.conf" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "missing file exits 2" || not_ok "missing file exit $rc"
contains "missing file named" "$out" "missing.conf"

out=$("$TANDEMD" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "no -c exits 2" || not_ok "no -c exit $rc"
contains "no -c explained" "$out" "-c FILE"

cat >"$dir/good.conf" <<'CONF'
config system ha set group-name "501E" set mode a-p set password ENC set hbdev "ha" 0 set session-pickup enable set override disable set monitor "port1" "port2" end
config system interface
    edit "port1"
        set device "net_null0"
    next
    edit "port2"
        set device "net_null1"
    next
    edit "ha"
        set device "net_null2"
    next
end
CONF
out=$("$TANDEMD" --check -c "$dir/good.conf" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "FortiOS one-line example validates" || { not_ok "one-line example rc=$rc"; echo "$out"; }
contains "--check prints canonical form" "$out" 'set group-name "501E"'

# A device that does not exist: start-up fails with one clear line, exit 1.
cat >"$dir/nodev.conf" <<CONF
config system dpdk
    set hugepages disable
    set memory 128
    set file-prefix "tandem-it-nodev-$$"
end
config system interface
    edit "port1"
        set device "af_packet:tdm-nonexist0"
    next
end
CONF
out=$("$TANDEMD" -c "$dir/nodev.conf" -s "$dir/s.sock" 2>&1); rc=$?
[ $rc -eq 1 ] && ok "missing device exits 1" || { not_ok "missing device exit $rc"; echo "$out" | tail -5; }
contains "missing device named in the error" "$out" "port1"
last=$(tail -1 <<<"$out")
contains "last line is the tandemd error" "$last" "tandemd:"

out=$("$TANDEMCTL" -s "$dir/none.sock" get system status 2>&1); rc=$?
[ $rc -eq 2 ] && ok "tandemctl without daemon exits 2" || not_ok "tandemctl exit $rc"
contains "tandemctl says what to do" "$out" "is tandemd running"
out=$("$TANDEMCTL" --help); contains "tandemctl --help lists commands" "$out" "get system status"
out=$("$TANDEMD" --help); contains "tandemd --help explains -c" "$out" "--config FILE"
finish
