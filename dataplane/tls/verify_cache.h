// A worker's memory of the client-certificate chains it has verified, per
// access proxy (one in each ServerContext), so a device that connects
// again is not verified again: the chain's signatures and the CRL's
// signature are two ECDSA verifications and a chain build, about a fifth
// of a full mTLS handshake's server CPU with OpenSSL 3.0 (docs/ztna.md,
// "Client-certificate verification cache"). The handshake itself still
// proves the client holds the certificate's key (CertificateVerify);
// only the chain's verdict is remembered.
//
// The key is SHA-256 over the SHA-256 of every certificate the client
// sent, leaf first, so the same leaf with other intermediates is another
// entry. Only chains that verified are kept, until the earliest of: the
// notAfter of every certificate of the verified chain, the nextUpdate of
// the context's CRLs (OpenSSL refuses a stale CRL, so the cache must
// stop there too) and kVerifyCacheTtlS. The CA and CRL files are read
// when the context is built; a config change builds a new context and
// with it an empty cache.
//
// Direct-mapped, fixed size, allocated at init; touched only by the
// worker that owns the context, so no lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tandem::dp::tls {

inline constexpr std::size_t kVerifyCacheSlots = 1024;  // a power of two
inline constexpr int64_t kVerifyCacheTtlS = 300;
inline constexpr std::size_t kChainKeyBytes = 32;

struct VerifyCacheCounters {
  uint64_t hits;     // chains accepted from the cache
  uint64_t misses;   // chains verified by OpenSSL (then kept if they passed)
  uint64_t stored;   // verdicts kept
  uint64_t expired;  // found past their expiry (verified again)
};

class VerifyCache {
 public:
  VerifyCache() = default;
  VerifyCache(const VerifyCache&) = delete;
  VerifyCache& operator=(const VerifyCache&) = delete;

  // Reserves the slots (empty). False when the allocation fails.
  bool init();
  bool ready() const { return slots_ != nullptr; }

  // True when the chain of key verified and its verdict holds at now_s.
  bool hit(const uint8_t* key, int64_t now_s);
  // Keeps key's verdict until expires_s (wall-clock seconds); a chain that
  // is already expired is not kept.
  void store(const uint8_t* key, int64_t now_s, int64_t expires_s);

  const VerifyCacheCounters& counters() const { return counters_; }

 private:
  struct Slot {
    uint8_t key[kChainKeyBytes];
    int64_t expires_s;  // 0: empty
  };
  Slot* slot_of(const uint8_t* key) const;

  std::unique_ptr<Slot[]> slots_;
  VerifyCacheCounters counters_{};
};

}  // namespace tandem::dp::tls
