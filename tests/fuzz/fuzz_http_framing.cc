// libFuzzer target for the message framers (dataplane/http/http_framing.cc),
// which find where a relayed request body or response ends. Byte 0: low 2
// bits select the framer (0 response, 1 response to HEAD, 2 chunked body,
// 3 Content-Length body with the length from byte 1), upper bits a step
// size. The input is framed once whole and once in pieces of that step;
// both must agree on the status and on where the message ends, and no call
// may consume more than it was given. Any disagreement aborts.
// Seeds: tests/fuzz/corpus/fuzz_http_framing/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/http/http.h"
#include "tests/fuzz/fuzz_require.h"

using namespace tandem::dp::http;

namespace {

using tandem::fuzz::require;

// Feeds input in pieces of step; returns where the message ended (or the
// bytes consumed when it did not) and the final status.
template <typename Framer>
std::size_t run(Framer& f, std::string_view input, std::size_t step, Status* last) {
  std::size_t at = 0;
  *last = Status::kNeedMore;
  while (at < input.size()) {
    std::size_t n = input.size() - at < step ? input.size() - at : step;
    std::size_t used = 0;
    *last = f.feed(input.substr(at, n), &used);
    require(used <= n, "consumed more than given");
    at += used;
    if (*last == Status::kData) continue;  // a head ended; the message goes on
    if (*last != Status::kNeedMore) break;
    require(used == n, "kNeedMore without consuming everything");
  }
  if (*last == Status::kData) {  // the input ended right after a head
    std::size_t used = 0;
    *last = f.feed({}, &used);
    require(used == 0, "consumed from nothing");
  }
  return at;
}

template <typename Start>
void compare(std::string_view input, std::size_t step, Start start) {
  Status whole_status, split_status;
  auto a = start();
  std::size_t whole = run(*a, input, input.size() ? input.size() : 1, &whole_status);
  auto b = start();
  std::size_t split = run(*b, input, step, &split_status);
  require(whole_status == split_status, "status differs with the split");
  if (whole_status == Status::kDone || whole_status == Status::kNeedMore)
    require(whole == split, "end differs with the split");
  delete a;
  delete b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  unsigned mode = data[0] & 3;
  std::size_t step = (data[0] >> 2) + 1;
  uint64_t length = data[1];
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  switch (mode) {
    case 0:
    case 1:
      compare(input, step, [&] {
        auto* f = new ResponseFramer();
        f->start(mode == 1);
        return f;
      });
      break;
    case 2:
    case 3:
      compare(input, step, [&] {
        auto* f = new BodyFramer();
        f->start(mode == 2 ? BodyFraming::kChunked : BodyFraming::kLength, length);
        return f;
      });
      break;
  }
  return 0;
}
