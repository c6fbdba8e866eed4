// Receive-side scaling for Tandem's data ports.
//
// Both directions of a flow must reach the same worker (DESIGN.md "Flow
// affinity"), so every port that can hash gets a symmetric Toeplitz key; a port
// that cannot hash falls back to the same hash computed in software by the
// workers. drivers/port calls plan_rss() at set-up; the dataplane calls
// toeplitz_hash() to steer stray packets exactly as a NIC would have.
#pragma once

#include <cstdint>

#include <rte_ethdev.h>

#include "hw/nic/rss_types.h"

namespace tandem::hw {

// Fills key[0..key_len) with the repeated 0x6d5a pattern. Toeplitz reads a
// 32-bit window of the key per input bit; with a 16-bit period the window for
// a field is the same whether the field sits at the source or the destination
// offset (addresses move by 32 bits, ports by 16), so swapping directions
// leaves the hash unchanged.
void fill_symmetric_rss_key(uint8_t* key, unsigned key_len);

// Decides RSS for a port with nb_queues rx queues: the hash types the driver
// offers among IPv4/IPv6/TCP/UDP, the symmetric key at the driver's key
// length, or enabled=false with a note saying why (single queue, driver
// without RSS, no usable hash types).
RssPlan plan_rss(const rte_eth_dev_info& info, unsigned nb_queues);

// The Toeplitz hash as NICs compute it: input is the packet fields in network
// byte order (IPv4 TCP/UDP: src addr, dst addr, src port, dst port). Key bits
// beyond key_len read as zero, so key_len should be at least len + 4.
uint32_t toeplitz_hash(const uint8_t* key, unsigned key_len, const uint8_t* input, unsigned len);

}  // namespace tandem::hw
