// The config-sync wire format: length-prefixed typed messages carried over
// the TLS stream between the two nodes (spec: docs/confsync.md). Used by
// ConfSync (confsync.cc) and by tests/fuzz/fuzz_confsync.cc. Parsing never
// trusts a length: every field has a cap and a frame must be consumed
// exactly, so a bad peer costs one dropped session, never memory or a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/confsync/confsync_types.h"

namespace tandem::confsync {

inline constexpr std::size_t kFrameHeaderBytes = 8;
inline constexpr uint8_t kWireVersion = 1;
// Caps: a config is at most 4 MiB (config::kMaxConfigBytes); the rest is
// small. A frame over kMaxPayloadBytes is refused from its header alone.
inline constexpr std::size_t kMaxTextBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxPayloadBytes = kMaxTextBytes + 64 * 1024;
inline constexpr std::size_t kMaxShortString = 64;   // serial, version, section, checksum
inline constexpr std::size_t kMaxErrorBytes = 1024;  // ACK error text
inline constexpr std::size_t kMaxSections = 64;

enum class DecodeStatus {
  kNeedMore,  // a partial frame: read more and call again
  kOk,        // *out holds a message, *consumed bytes were used
  kError,     // malformed: *error says what; drop the session
};

// Appends the frame of msg to *out.
void encode_message(const Message& msg, std::string* out);

// Decodes the first frame of `in`.
DecodeStatus decode_message(std::string_view in, Message* out, std::size_t* consumed,
                            std::string* error);

const char* msg_type_name(MsgType t);

}  // namespace tandem::confsync
