// How the packet stage prints: names of drop reasons for counters and logs.
#include "dataplane/packet/parse.h"

namespace tandem::dp {

const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kNone: return "none";
    case DropReason::kRunt: return "runt";
    case DropReason::kTruncatedVlan: return "truncated-vlan";
    case DropReason::kTooManyVlans: return "too-many-vlans";
    case DropReason::kTruncatedArp: return "truncated-arp";
    case DropReason::kBadArpFormat: return "bad-arp-format";
    case DropReason::kTruncatedIpv4: return "truncated-ipv4";
    case DropReason::kBadIpVersion: return "bad-ip-version";
    case DropReason::kBadIpHeaderLength: return "bad-ip-header-length";
    case DropReason::kBadIpTotalLength: return "bad-ip-total-length";
    case DropReason::kBadIpChecksum: return "bad-ip-checksum";
    case DropReason::kTruncatedL4: return "truncated-l4";
    case DropReason::kBadTcpDataOffset: return "bad-tcp-data-offset";
    case DropReason::kBadUdpLength: return "bad-udp-length";
    case DropReason::kCount: break;
  }
  return "unknown";
}

}  // namespace tandem::dp
