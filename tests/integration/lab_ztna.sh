#!/usr/bin/env bash
# Issue 7 end to end: the ZTNA access proxy on node A's workers. A real
# curl in the client namespace speaks TLS with a client certificate to the
# VIP 10.1.100.1:443 (node A's port2 address), authenticates with Basic
# against `config user local`, and gets the page of the lab's web server
# (172.16.200.209:80) through the proxy's own TCP connection to it. Without
# credentials: 401; with a wrong password: 401; without a client
# certificate (empty-cert-action block) or with one of an unknown CA: no
# TLS session. Certificates are made at test time (tests/tls/make-certs.sh).
# The lab is shared by name: run under `flock /tmp/tandem-lab.lock`.
. "$(dirname "$0")/lib.sh"
LAB=$ROOT/scripts/lab
export TANDEM_LAB_ZTNA=disable  # this test brings its own proxy config and certificates
CERTS=$(mktemp -d /tmp/tandem-ztna.XXXXXX)
trap '"$LAB" down >/dev/null 2>&1; rm -rf "$CERTS"' EXIT
"$ROOT/tests/tls/make-certs.sh" "$CERTS" >/dev/null 2>&1 || { not_ok "make-certs.sh"; finish; }

cat >"$CERTS/ztna.conf" <<CONF
config vpn certificate ca
    edit "ems-ca"
        set ca "$CERTS/ca.pem"
    next
end
config vpn certificate local
    edit "ztna-server"
        set certificate "$CERTS/server.pem"
        set private-key "$CERTS/server.key"
    next
end
config vpn certificate crl
    edit "ems-crl"
        set crl "$CERTS/crl.pem"
    next
end
config user local
    edit "localuser1"
        set passwd "s3cret"
    next
end
config user setting
    set auth-timeout 10
end
config firewall vip
    edit "ztna-vip"
        set type access-proxy
        set extip 10.1.100.1
        set extintf "port2"
        set extport 443
        set ssl-certificate "ztna-server"
    next
end
config firewall access-proxy
    edit "ztna-proxy"
        set vip "ztna-vip"
        set client-cert enable
        set empty-cert-action block
        set client-cert-ca "ems-ca"
        config api-gateway
            edit 1
                set url-map "/"
                set service http
                config realservers
                    edit 1
                        set ip 172.16.200.209
                        set port 80
                    next
                end
            next
        end
    next
end
config firewall proxy-policy
    edit 1
        set name "ztna-web"
        set proxy access-proxy
        set access-proxy "ztna-proxy"
        set srcintf "port2"
        set srcaddr "lan"
        set users "localuser1"
        set action accept
        set logtraffic all
    next
end
CONF

TANDEM_LAB_EXTRA_CONF=$CERTS/ztna.conf "$LAB" up || { not_ok "lab up"; finish; }
. /run/tandem-lab/env
ctl() { "$TANDEMCTL" -s "$NODE_A_SOCK" "$@"; }
client() { ip netns exec "$CLIENT_NS" "$@"; }
URL=https://app.example.com/
# SNI and Host app.example.com (the server certificate's name) on the VIP.
CURL=(curl -sS --max-time 10 --resolve app.example.com:443:10.1.100.1 --cacert "$CERTS/ca.pem")
WITH_CERT=(--cert "$CERTS/client.pem" --key "$CERTS/client.key")

code=$(client "${CURL[@]}" "${WITH_CERT[@]}" -o /dev/null -w '%{http_code}' "$URL" 2>&1)
contains "no credentials: 401" "$code" "401"
hdrs=$(client "${CURL[@]}" "${WITH_CERT[@]}" -D - -o /dev/null "$URL" 2>&1)
contains "the 401 carries a Basic challenge" "$hdrs" 'WWW-Authenticate: Basic realm="ztna-proxy"'
code=$(client "${CURL[@]}" "${WITH_CERT[@]}" -u localuser1:wrong -o /dev/null -w '%{http_code}' "$URL" 2>&1)
contains "wrong password: 401" "$code" "401"

page=$(client "${CURL[@]}" "${WITH_CERT[@]}" -u localuser1:s3cret "$URL" 2>&1)
contains "client cert + Basic login: the real server's page through the proxy" "$page" \
  "hello from $SERVER_IP"
client "${CURL[@]}" "${WITH_CERT[@]}" -u localuser1:s3cret -o /tmp/tandem-ztna-1m.bin "${URL}1m.bin"
check "1 MiB through the proxy is byte-identical" cmp /tmp/tandem-ztna-1m.bin "$LAB_DIR/www/1m.bin"
rm -f /tmp/tandem-ztna-1m.bin
# The login made a user entry for the client address: no credentials needed now.
page=$(client "${CURL[@]}" "${WITH_CERT[@]}" "$URL" 2>&1)
contains "a logged-in source address is not asked again" "$page" "hello from $SERVER_IP"
users=$(ctl diagnose wad user list 2>&1)
contains "diagnose wad user list: the client's address" "$users" "VDOM: root, IPv4: $CLIENT_IP"
contains "diagnose wad user list: the user name" "$users" "user name   : localuser1"
contains "diagnose wad user list: Basic via policy 1" "$users" "pol_id      : 1"
sed 's/^/    /' <<<"$users"
# WAN: the real server's side (the 1 MiB file came in there); LAN: the
# client's, in TLS records, so a little more went out than came in.
wan_in=$(awk '/WAN:/ {getline; sub(/.*bytes_in=/, ""); sub(/ .*/, ""); print; exit}' <<<"$users")
lan_out=$(awk '/LAN:/ {getline; sub(/.*bytes_out=/, ""); print; exit}' <<<"$users")
[ "${wan_in:-0}" -gt 1048576 ] && ok "user WAN bytes_in ($wan_in) covers the 1 MiB file" \
  || not_ok "user WAN bytes_in ${wan_in:-none} <= 1 MiB"
[ "${lan_out:-0}" -gt "${wan_in:-0}" ] && ok "user LAN bytes_out ($lan_out) > WAN bytes_in (TLS overhead)" \
  || not_ok "user LAN bytes_out ${lan_out:-none} not above WAN bytes_in ${wan_in:-none}"
check "diagnose wad user clear" ctl diagnose wad user clear
users=$(ctl diagnose wad user list 2>&1)
if grep -q "IPv4:" <<<"$users"; then not_ok "the list is empty after clear: $users"; else ok "the list is empty after clear"; fi
code=$(client "${CURL[@]}" "${WITH_CERT[@]}" -o /dev/null -w '%{http_code}' "$URL" 2>&1)
contains "after clear the client is asked again: 401" "$code" "401"
# Many connections at once: slots and ZtnaConns are taken and given back.
for i in $(seq 1 20); do
  client "${CURL[@]}" "${WITH_CERT[@]}" -u localuser1:s3cret -o "$CERTS/par.$i" "$URL" 2>"$CERTS/par.$i.err" &
done
wait
good=$(grep -l "hello from $SERVER_IP" "$CERTS"/par.[0-9]* 2>/dev/null | wc -l)
[ "$good" -eq 20 ] && ok "20 clients at once all get the page" \
  || { not_ok "20 clients at once: $good got the page"; cat "$CERTS"/par.*.err | sort | uniq -c | head; }
grep -q "GET / HTTP" "$LAB_DIR/http80.log" && ok "the real server logged the proxied request" \
  || not_ok "no GET / in $LAB_DIR/http80.log"

# Refusals are TLS alerts from the proxy, not a closed port: curl fails
# and names the alert.
refused() {  # description expected-alert curl-args...
  local d=$1 alert=$2 out; shift 2
  if out=$(client "${CURL[@]}" -u localuser1:s3cret -o /dev/null "$@" "$URL" 2>&1); then
    not_ok "$d: curl succeeded"
  else
    contains "$d" "$out" "$alert"
  fi
}
refused "no client certificate (empty-cert-action block): refused" "alert certificate required"
refused "a certificate of an unknown CA: refused" "alert unknown ca" \
  --cert "$CERTS/stranger.pem" --key "$CERTS/stranger.key"
refused "a revoked certificate: refused" "alert certificate revoked" \
  --cert "$CERTS/revoked.pem" --key "$CERTS/revoked.key"
# A client that connects and says nothing loses the connection after the
# proxy's 10 s head timeout (not the 30 s this script would wait).
took=$(client python3 -c '
import socket, time
s = socket.create_connection(("10.1.100.1", 443), timeout=5)
s.settimeout(30)
t = time.time()
try:
    s.recv(1)
except ConnectionResetError:
    pass
except socket.timeout:
    pass
print(int(time.time() - t))' 2>&1)
[ "${took:-99}" -ge 8 ] 2>/dev/null && [ "${took:-99}" -le 20 ] \
  && ok "a silent client is reset after the head timeout (${took} s)" \
  || not_ok "a silent client: closed after '${took}' s, expected about 10"
code=$(client "${CURL[@]}" "${WITH_CERT[@]}" -u localuser1:s3cret -H "Host: other.example.com" \
  -o /dev/null -w '%{http_code}' "$URL" 2>&1)
contains "Host not the SNI: 421" "$code" "421"

# The login reached node B over the sync stream (session pickup).
users=$("$TANDEMCTL" -s "$NODE_B_SOCK" diagnose wad user list 2>&1)
contains "B holds the client's user entry from the sync stream" "$users" "IPv4: $CLIENT_IP"
contains "B's entry names the user" "$users" "user name   : localuser1"
primary_of() { "$TANDEMCTL" -s "$LAB_DIR/$1.sock" get system ha status 2>/dev/null | sed -n 's/^Primary \+: *\([^ ,]*\).*/\1/p'; }
b_lists_user() { "$TANDEMCTL" -s "$NODE_B_SOCK" diagnose wad user list 2>&1 | grep -q "IPv4: $CLIENT_IP"; }
wait_b_users() {  # wait_b_users present|absent
  for _ in $(seq 1 50); do
    if b_lists_user; then [ "$1" = present ] && return 0; else [ "$1" = absent ] && return 0; fi
    sleep 0.1
  done
  return 1
}

# ---- Failover: TLS sessions and logins survive kill -9 of the primary ----
# `diagnose wad user clear` on the primary logs the user out on B too.
check "diagnose wad user clear on A" ctl diagnose wad user clear
check "A's clear empties B's user list (a user delete on the sync stream)" wait_b_users absent
page=$(client "${CURL[@]}" "${WITH_CERT[@]}" -u localuser1:s3cret "$URL" 2>&1)
contains "login again after the clear" "$page" "hello from $SERVER_IP"
check "B holds the new login" wait_b_users present

# TLS sessions with the client certificate, TLS 1.3 and 1.2, on A. The
# request keeps s_client until the proxy answers and closes, so the
# TLS 1.3 ticket (sent after the handshake) is in the session file.
REQ='GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n'
sclient() {  # sclient 1.3|1.2 extra-args...: the s_client transcript
  local v=$1; shift
  (printf "$REQ"; sleep 2) | client timeout 10 openssl s_client -connect 10.1.100.1:443 \
    -servername app.example.com -CAfile "$CERTS/ca.pem" -cert "$CERTS/client.pem" \
    -key "$CERTS/client.key" "-tls${v/./_}" "$@" 2>&1
}
for v in 1.3 1.2; do
  out=$(sclient "$v" -sess_out "$CERTS/sess-$v.pem")
  contains "TLS $v on A: a new session with a ticket, the page without credentials" "$out" "hello from $SERVER_IP"
  contains "TLS $v on A: full handshake first" "$out" "New, TLSv$v"
  [ -s "$CERTS/sess-$v.pem" ] && ok "TLS $v: session saved" || not_ok "TLS $v: no session file"
done
out=$(sclient 1.3 -sess_in "$CERTS/sess-1.3.pem")
contains "TLS 1.3 resumes on A (the test can tell)" "$out" "Reused, TLSv1.3"
sync=$("$TANDEMCTL" -s "$NODE_B_SOCK" diagnose sys ha sync 2>&1)
echo "$sync" | grep -Eq 'ticket keys: rings sent=[0-9]+ received=[1-9]' \
  && ok "B received A's session-ticket ring" || not_ok "B received no ticket ring: $(echo "$sync" | grep ticket)"

kill -9 "$NODE_A_PID"
for _ in $(seq 1 100); do [ "$(primary_of b)" = tandem-b ] && break; sleep 0.1; done
if [ "$(primary_of b)" = tandem-b ]; then
  ok "B took over after kill -9 of A"
  for v in 1.3 1.2; do
    out=""
    for _ in $(seq 1 30); do  # the switch learns the virtual MAC's new port from B's gratuitous ARPs
      out=$(sclient "$v" -sess_in "$CERTS/sess-$v.pem")
      echo "$out" | grep -q "Cipher is" && break
      sleep 0.2
    done
    contains "after failover: TLS $v resumes on B with A's ticket (no certificate prompt)" "$out" "Reused, TLSv$v"
    contains "after failover: TLS $v resumed session gets the page without credentials" "$out" "hello from $SERVER_IP"
  done
  code=$(client "${CURL[@]}" "${WITH_CERT[@]}" -o /tmp/tandem-ztna-page.txt -w '%{http_code}' "$URL" 2>&1)
  page=$(cat /tmp/tandem-ztna-page.txt 2>/dev/null); rm -f /tmp/tandem-ztna-page.txt
  contains "after failover: curl without credentials is not asked to log in ($code)" "$code" "200"
  contains "after failover: the page through node B's proxy" "$page" "hello from $SERVER_IP"
  users=$("$TANDEMCTL" -s "$NODE_B_SOCK" diagnose wad user list 2>&1)
  contains "after failover: B lists the login" "$users" "user name   : localuser1"
else
  not_ok "B did not take over within 10 s of kill -9"
fi
finish
