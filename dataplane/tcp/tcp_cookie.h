// SYN cookies (RFC 4987 section 3.6) and initial sequence numbers (RFC
// 6528), both keyed with SipHash-2-4 over the 4-tuple and a per-stack
// secret. The stack answers a SYN with a cookie instead of a SYN_RECEIVED
// slot when the listener's SYN backlog or the connection table is full,
// and rebuilds the connection from the final ACK.
//
// Cookie layout (the ISS of the SYN-ACK): 5 bits of a 64 s time counter,
// 3 bits of MSS index, 24 bits of MAC over (tuple, client ISN, counter).
// A cookie is valid for the counter it was made in and the one after.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/tcp/tcp_types.h"

namespace tandem::dp {

struct TcpSecret {
  uint64_t k0, k1;
};

inline constexpr uint64_t kTcpCookieSlotUs = 64'000'000;
inline constexpr unsigned kTcpCookieMssCount = 8;
// MSS values a cookie can carry; the SYN's MSS rounds down to one of them.
inline constexpr uint16_t kTcpCookieMss[kTcpCookieMssCount] = {536,  768,  1024, 1220,
                                                              1300, 1380, 1440, 1460};

uint64_t siphash24(const TcpSecret& key, const void* data, size_t len);

// Index into kTcpCookieMss of the largest value <= mss.
uint8_t tcp_cookie_mss_index(uint16_t mss);

// The cookie for a SYN (tuple as the SYN carried it: src is the client).
uint32_t tcp_cookie_make(const TcpSecret& key, const TcpTuple& syn, uint32_t client_isn,
                         uint8_t mss_index, uint64_t now_us);

// Checks the cookie an ACK returns (cookie = ack - 1, client_isn = seq - 1,
// tuple as the ACK carried it); on success *mss_index gets the index.
bool tcp_cookie_check(const TcpSecret& key, const TcpTuple& ack_tuple, uint32_t client_isn,
                      uint32_t cookie, uint64_t now_us, uint8_t* mss_index);

// RFC 6528: a 4 us clock plus a keyed hash of the tuple (src = local).
uint32_t tcp_iss(const TcpSecret& key, const TcpTuple& tuple, uint64_t now_us);

}  // namespace tandem::dp
