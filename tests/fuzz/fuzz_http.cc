// libFuzzer target for the HTTP/1.1 parsers (dataplane/http). Byte 0
// selects the parser (low 2 bits: 0 request head, 1 response head, 2 and 3
// chunked body) and, in its upper bits, a step size; the rest is the
// input. Each input is parsed once whole and once fed incrementally in
// pieces of that step, and the two must agree: same status, same head
// length and fields, same decoded body and bytes consumed. Every view a
// parser returns must lie inside the input. Any disagreement aborts.
// Seeds: tests/fuzz/corpus/fuzz_http/ (make_seeds.py).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/http/http.h"
#include "tests/fuzz/fuzz_require.h"

using namespace tandem::dp::http;

namespace {

using tandem::fuzz::require;

void inside(std::string_view view, std::string_view input) {
  if (view.empty()) return;
  require(view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size(),
          "view outside the input");
}

void check_fields(const Fields& f, std::string_view input) {
  require(f.count <= kMaxHeaders, "header count beyond bound");
  for (std::size_t i = 0; i < f.count; ++i) {
    inside(f.headers[i].name, input);
    inside(f.headers[i].value, input);
  }
}

void fuzz_request(std::string_view input, std::size_t step) {
  RequestHead whole;
  Status s = parse_request_head(input, &whole);
  RequestParser p;
  Status t = Status::kNeedMore;
  for (std::size_t have = 0; t == Status::kNeedMore;) {
    have = have + step < input.size() ? have + step : input.size();
    t = p.feed(input.substr(0, have));
    if (have == input.size()) break;
  }
  require(s == t, "incremental request status differs");
  if (s != Status::kDone) return;
  const RequestHead& h = p.head();
  require(h.head_bytes == whole.head_bytes && h.head_bytes <= input.size() && h.head_bytes <= kMaxHeadBytes,
          "request head length");
  require(h.fields.count == whole.fields.count && h.framing == whole.framing && h.keep_alive == whole.keep_alive,
          "incremental request fields differ");
  inside(h.target, input);
  inside(h.host, input);
  inside(h.basic_credentials, input);
  check_fields(h.fields, input);
  char buf[kMaxHeadBytes];
  std::string_view user, password;
  if (decode_basic_credentials(h.basic_credentials, buf, sizeof buf, &user, &password)) {
    require(user.size() + password.size() + 1 <= h.basic_credentials.size(), "credentials longer than their code");
  }
  (void)host_matches_sni(h.host, "app.example.com");
}

void fuzz_response(std::string_view input, std::size_t step, bool head_request) {
  ResponseHead whole;
  Status s = parse_response_head(input, head_request, &whole);
  ResponseParser p;
  Status t = Status::kNeedMore;
  for (std::size_t have = 0; t == Status::kNeedMore;) {
    have = have + step < input.size() ? have + step : input.size();
    t = p.feed(input.substr(0, have), head_request);
    if (have == input.size()) break;
  }
  require(s == t, "incremental response status differs");
  if (s != Status::kDone) return;
  require(p.head().head_bytes == whole.head_bytes && p.head().status == whole.status &&
              p.head().framing == whole.framing && p.head().status >= 100 && p.head().status <= 599,
          "incremental response differs");
  inside(p.head().reason, input);
  check_fields(p.head().fields, input);
}

// Decodes input offered `step` bytes at a time.
Status decode(std::string_view input, std::size_t step, std::string* body, std::size_t* used) {
  ChunkedDecoder d;
  std::size_t offered = 0;
  *used = 0;
  while (true) {
    offered = offered + step < input.size() ? offered + step : input.size();
    std::string_view in = input.substr(*used, offered - *used);
    Status s;
    do {
      std::size_t consumed = 0;
      std::string_view data;
      s = d.feed(in, &consumed, &data);
      require(consumed <= in.size(), "consumed beyond the input");
      inside(data, in);
      body->append(data);
      *used += consumed;
      in.remove_prefix(consumed);
    } while (s == Status::kData);
    require(d.body_bytes() == body->size(), "body byte count");
    if (s != Status::kNeedMore || offered == input.size()) return s;
  }
}

void fuzz_chunked(std::string_view input, std::size_t step) {
  std::string a, b;
  std::size_t used_a = 0, used_b = 0;
  Status s = decode(input, input.size() + 1, &a, &used_a);
  Status t = decode(input, step, &b, &used_b);
  require(s == t, "incremental chunked status differs");
  require(a == b, "incremental chunked body differs");
  if (s == Status::kDone) require(used_a == used_b, "chunked end differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t step = 1 + (data[0] >> 2);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0: fuzz_request(input, step); break;
    case 1: fuzz_response(input, step, (data[0] & 4) != 0); break;
    default: fuzz_chunked(input, step); break;
  }
  return 0;
}
