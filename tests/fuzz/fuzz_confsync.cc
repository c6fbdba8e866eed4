// libFuzzer target for the config-sync message decoder
// (controlplane/confsync/confsync_msg). Whatever decodes must re-encode to
// exactly the bytes consumed (the format has one encoding per message), and
// a decoder error must come with a reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "controlplane/confsync/confsync_msg.h"

using tandem::confsync::decode_message;
using tandem::confsync::DecodeStatus;
using tandem::confsync::encode_message;
using tandem::confsync::Message;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // A stream may hold several frames back to back, as the TLS reader sees.
  while (!in.empty()) {
    Message m;
    std::size_t used = 0;
    std::string error;
    DecodeStatus s = decode_message(in, &m, &used, &error);
    if (s == DecodeStatus::kError) {
      if (error.empty()) std::abort();
      return 0;
    }
    if (s == DecodeStatus::kNeedMore) return 0;
    if (used == 0 || used > in.size()) std::abort();
    std::string again;
    encode_message(m, &again);
    if (again != in.substr(0, used)) std::abort();
    in.remove_prefix(used);
  }
  return 0;
}
