#include "dataplane/tcp/tcp_wire.h"

#include <bit>
#include <cstring>

namespace tandem::dp {
namespace {

constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackOk = 4,
                  kOptSack = 5, kOptTs = 8;
constexpr size_t kMaxOptionBytes = 40;
constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

void decode_options(const uint8_t* p, size_t len, bool syn, TcpOptions* o) {
  size_t i = 0;
  while (i < len) {
    uint8_t kind = p[i];
    if (kind == kOptEnd) return;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) return;
    uint8_t olen = p[i + 1];
    if (olen < 2 || i + olen > len) return;
    const uint8_t* v = p + i + 2;
    switch (kind) {
      // MSS, window scale and SACK-permitted mean something only on a SYN
      // (RFC 9293 3.7.1, RFC 7323 2.2, RFC 2018 2).
      case kOptMss:
        if (olen == 4 && syn) {
          o->has_mss = true;
          o->mss = get16(v);
        }
        break;
      case kOptWscale:
        if (olen == 3 && syn) {
          o->has_wscale = true;
          o->wscale = v[0] > kMaxWscale ? kMaxWscale : v[0];
        }
        break;
      case kOptSackOk:
        if (olen == 2 && syn) o->sack_permitted = true;
        break;
      case kOptTs:
        if (olen == 10) {
          o->has_ts = true;
          o->ts_val = get32(v);
          o->ts_ecr = get32(v + 4);
        }
        break;
      case kOptSack:
        if (olen >= 10 && (olen - 2) % 8 == 0) {
          unsigned n = (olen - 2u) / 8u;
          o->nb_sack = 0;
          for (unsigned b = 0; b < n && b < kTcpMaxSackBlocks; ++b) {
            o->sack[b].left = get32(v + 8 * b);
            o->sack[b].right = get32(v + 8 * b + 4);
            o->nb_sack = static_cast<uint8_t>(b + 1);
          }
        }
        break;
      default: break;
    }
    i += olen;
  }
}

// SACK blocks that fit beside the other options a non-SYN segment carries.
unsigned sack_blocks_fitting(const TcpSegment& seg) {
  if ((seg.flags & kTcpSyn) || seg.opts.nb_sack == 0) return 0;
  size_t used = seg.opts.has_ts ? 12 : 0;
  unsigned fit = static_cast<unsigned>((kMaxOptionBytes - used - 4) / 8);
  unsigned n = seg.opts.nb_sack < kTcpMaxSackBlocks ? seg.opts.nb_sack : kTcpMaxSackBlocks;
  return n < fit ? n : fit;
}

size_t options_len(const TcpSegment& seg) {
  const TcpOptions& o = seg.opts;
  size_t n = 0;
  if (seg.flags & kTcpSyn) {
    if (o.has_mss) n += 4;
    if (o.has_ts) n += 12;  // SACKOK + TS, or NOP NOP TS
    else if (o.sack_permitted) n += 4;  // NOP NOP SACKOK
    if (o.has_wscale) n += 4;
    return n;
  }
  if (o.has_ts) n += 12;
  unsigned sacks = sack_blocks_fitting(seg);
  if (sacks) n += 4 + 8 * sacks;
  return n;
}

}  // namespace

bool tcp_wire_decode(const uint8_t* tcp, size_t len, uint32_t src_ip, uint32_t dst_ip,
                     TcpSegment* out) {
  if (len < kTcpHeaderLen) return false;
  size_t hlen = size_t{static_cast<uint8_t>(tcp[12] >> 4)} * 4;
  if (hlen < kTcpHeaderLen || hlen > len) return false;
  std::memset(out, 0, sizeof(*out));
  out->tuple.src_ip = src_ip;
  out->tuple.dst_ip = dst_ip;
  out->tuple.src_port = get16(tcp);
  out->tuple.dst_port = get16(tcp + 2);
  out->seq = get32(tcp + 4);
  out->ack = get32(tcp + 8);
  out->flags = tcp[13] & 0x3f;
  out->window = get16(tcp + 14);
  decode_options(tcp + kTcpHeaderLen, hlen - kTcpHeaderLen, out->flags & kTcpSyn, &out->opts);
  out->payload = tcp + hlen;
  out->payload_len = static_cast<uint32_t>(len - hlen);
  return true;
}

size_t tcp_wire_header_len(const TcpSegment& seg) {
  return kTcpHeaderLen + ((options_len(seg) + 3) & ~size_t{3});
}

size_t tcp_wire_encode_header(const TcpSegment& seg, uint8_t* out, size_t room) {
  size_t hlen = tcp_wire_header_len(seg);
  if (room < hlen) return 0;
  const TcpOptions& o = seg.opts;
  put16(out, seg.tuple.src_port);
  put16(out + 2, seg.tuple.dst_port);
  put32(out + 4, seg.seq);
  put32(out + 8, seg.ack);
  out[12] = static_cast<uint8_t>((hlen / 4) << 4);
  out[13] = seg.flags;
  put16(out + 14, seg.window);
  put16(out + 16, 0);  // checksum: the glue's (or the NIC's)
  put16(out + 18, 0);  // urgent pointer: never used
  uint8_t* p = out + kTcpHeaderLen;
  auto put_ts = [&] {
    *p++ = kOptTs;
    *p++ = 10;
    put32(p, o.ts_val);
    put32(p + 4, o.ts_ecr);
    p += 8;
  };
  if (seg.flags & kTcpSyn) {
    if (o.has_mss) {
      *p++ = kOptMss;
      *p++ = 4;
      put16(p, o.mss);
      p += 2;
    }
    if (o.has_ts && o.sack_permitted) {
      *p++ = kOptSackOk;
      *p++ = 2;
      put_ts();
    } else if (o.has_ts) {
      *p++ = kOptNop;
      *p++ = kOptNop;
      put_ts();
    } else if (o.sack_permitted) {
      *p++ = kOptNop;
      *p++ = kOptNop;
      *p++ = kOptSackOk;
      *p++ = 2;
    }
    if (o.has_wscale) {
      *p++ = kOptNop;
      *p++ = kOptWscale;
      *p++ = 3;
      *p++ = o.wscale;
    }
  } else {
    if (o.has_ts) {
      *p++ = kOptNop;
      *p++ = kOptNop;
      put_ts();
    }
    unsigned sacks = sack_blocks_fitting(seg);
    if (sacks) {
      *p++ = kOptNop;
      *p++ = kOptNop;
      *p++ = kOptSack;
      *p++ = static_cast<uint8_t>(2 + 8 * sacks);
      for (unsigned b = 0; b < sacks; ++b) {
        put32(p, o.sack[b].left);
        put32(p + 4, o.sack[b].right);
        p += 8;
      }
    }
  }
  while (p < out + hlen) *p++ = kOptEnd;
  return hlen;
}

uint16_t tcp_wire_checksum(uint32_t src_ip, uint32_t dst_ip, const uint8_t* tcp, size_t len) {
  // RFC 1071: the one's complement sum does not depend on byte order, so
  // the segment is summed 4 bytes at a time in the machine's order (a
  // 64-bit accumulator cannot overflow below 2^32 words) and swapped once
  // at the end. It was a 16-bit big-endian loop, 4.6 % of the worker's
  // samples in a bulk ZTNA download.
  uint64_t data = 0;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    std::memcpy(&w, tcp + i, 4);
    data += w;
  }
  uint8_t tail[4] = {0, 0, 0, 0};
  std::memcpy(tail, tcp + i, len - i);  // the last 0-3 bytes, zero padded
  uint32_t w;
  std::memcpy(&w, tail, 4);
  data += w;
  while (data >> 16) data = (data & 0xffff) + (data >> 16);
  uint16_t folded = static_cast<uint16_t>(data);
  if constexpr (std::endian::native == std::endian::little)
    folded = static_cast<uint16_t>(folded << 8 | folded >> 8);
  uint64_t sum = (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff) +
                 6u + len + folded;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace tandem::dp
