// Traffic log records: what a worker knows when a logged session ends, or
// when a logged policy denies a flow's first packet, or (subtype ztna)
// when a ZTNA access-proxy connection ends or is refused. The worker fills one
// and puts it on its own log ring (log.h); tandemd's control loop drains
// the rings and formats each record as a FortiOS key=value line
// (controlplane/log). Plain data, no pointers, no code.
#pragma once

#include <cstdint>

namespace tandem::dp {

// FortiOS `action` of a traffic log.
enum class TrafficLogAction : uint8_t {
  kAccept,     // a connectionless session (UDP, ICMP) that timed out
  kClose,      // TCP: both sides sent FIN
  kTimeout,    // TCP: the session expired without FIN or RST
  kClientRst,  // TCP: the originator sent RST
  kServerRst,  // TCP: the responder sent RST
  kDeny,       // a deny policy with logtraffic all matched the first packet
               // (ztna: the proxy refused the connection or request)
};

enum class TrafficLogSubtype : uint8_t {
  kForward,  // a forwarded session (config firewall policy)
  kZtna,     // a ZTNA access-proxy connection (config firewall proxy-policy)
};

// Why the access proxy refused (subtype ztna, action deny); the log line's
// `reason` (controlplane/log names them).
enum class ZtnaDenyReason : uint8_t {
  kNone,
  kNoClientCert,     // empty-cert-action block and no certificate
  kCertVerify,       // the certificate did not verify; verify_error says why
  kTlsHandshake,     // another TLS failure; detail holds OpenSSL's reason
  kBadRequest,       // the request head did not parse (400/431/501/505)
  kSniHostMismatch,  // Host names another virtual host than the SNI (421)
  kNoGatewayMatch,   // no api-gateway url-map matches the request
  kImplicitDeny,     // no proxy-policy matched
  kPolicyDeny,       // a proxy-policy with action deny matched
  kBadCredentials,   // Basic credentials that are not a valid enabled user
  kNoServerUp,       // every real server of the api-gateway is down (health check) (503)
  kLoginBusy,        // the login could not be queued for its password check (503)
};

inline constexpr unsigned kZtnaLogNameMax = 64;    // user, device id (= kZtnaNameMax)
inline constexpr unsigned kZtnaLogTagsMax = 192;   // tags joined by '/'
inline constexpr unsigned kZtnaLogDetailMax = 64;  // TLS reason or X509 error text

// What only a ZTNA record fills (zero for forward traffic). Strings are
// NUL-terminated and cut to fit.
struct TrafficLogZtna {
  uint64_t lan_in, lan_out;  // TLS bytes from and to the client
  uint64_t wan_in, wan_out;  // plaintext bytes from and to the real server
  int32_t verify_error;      // X509_V_ERR_* for kCertVerify
  uint16_t gateway_index;    // api-gateway by table position; kZtnaNoGateway when none
  uint8_t proxy_index;       // access proxy (snapshot index)
  ZtnaDenyReason reason;
  uint16_t http_status;      // the status of the refusal page; 0 when none (TLS)
  uint8_t pad[6];
  char user[kZtnaLogNameMax + 1];
  char device_id[kZtnaLogNameMax + 1];
  char tags[kZtnaLogTagsMax + 1];
  char detail[kZtnaLogDetailMax + 1];
  uint8_t pad2[4];
};
inline constexpr uint16_t kZtnaNoGateway = 0xffff;

inline constexpr uint8_t kTrafficLogNoPort = 0xff;

struct TrafficLogRecord {
  uint64_t start_ms, end_ms;   // the dataplane's clock (dataplane_now_ms)
  uint64_t sent_bytes, rcvd_bytes;  // IP bytes, originator -> responder and back
  uint64_t sent_pkts, rcvd_pkts;
  uint32_t src_ip_be, dst_ip_be;    // the originator's view
  uint32_t session_id;              // Session::serial; 0 for a deny
  uint32_t policy_id;
  uint16_t src_port, dst_port;      // host order; ICMP: the echo identifier
  uint8_t proto;
  uint8_t src_port_index, dst_port_index;  // snapshot port indexes (kTrafficLogNoPort)
  TrafficLogSubtype subtype;
  TrafficLogAction action;
  uint8_t worker;
  uint8_t icmp_type;
  uint8_t pad[5];
  TrafficLogZtna ztna;
};
// rte_ring's element API wants a multiple of 4 bytes.
static_assert(sizeof(TrafficLogRecord) % 4 == 0);

// Per worker, written by it only; summed when asked.
struct TrafficLogCounters {
  uint64_t records;     // put on the ring
  uint64_t dropped;     // ring full: the control loop fell behind
  uint64_t suppressed;  // deny records over kDenyLogsPerSecond
};

}  // namespace tandem::dp
