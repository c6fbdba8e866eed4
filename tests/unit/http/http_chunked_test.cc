// The chunked decoder: data, extensions and trailers over every split of
// the input, and the errors of malformed codings.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/http/http.h"

namespace tandem::dp::http {
namespace {

// Decodes text fed in pieces of `step` bytes; returns the final status and
// fills *body and *used (bytes consumed in total).
Status decode(std::string_view text, std::size_t step, std::string* body, std::size_t* used) {
  ChunkedDecoder d;
  body->clear();
  *used = 0;
  std::size_t offered = 0;
  while (true) {
    offered = std::min(text.size(), offered + step);
    std::string_view in = text.substr(*used, offered - *used);
    while (true) {
      std::size_t consumed = 0;
      std::string_view data;
      Status s = d.feed(in, &consumed, &data);
      *used += consumed;
      in.remove_prefix(consumed);
      if (s == Status::kData) {
        body->append(data);
        continue;
      }
      if (s != Status::kNeedMore || offered == text.size()) return s;
      break;
    }
  }
}

TEST(HttpChunked, DecodesOverEverySplit) {
  const std::string coded =
      "5;name=value\r\nhello\r\n"
      "1A \t; x\r\n" + std::string(26, 'z') + "\r\n"
      "0\r\n"
      "Expires: never\r\n"
      "\r\n"
      "GET /next";
  for (std::size_t step = 1; step <= coded.size(); ++step) {
    std::string body;
    std::size_t used = 0;
    ASSERT_EQ(decode(coded, step, &body, &used), Status::kDone) << step;
    EXPECT_EQ(body, "hello" + std::string(26, 'z')) << step;
    EXPECT_EQ(used, coded.find("GET")) << step;  // stops right after the body
  }
}

TEST(HttpChunked, ZeroLengthBodyAndBodyBytes) {
  ChunkedDecoder d;
  std::size_t consumed = 0;
  std::string_view data;
  EXPECT_EQ(d.feed("0\r\n\r\n", &consumed, &data), Status::kDone);
  EXPECT_EQ(consumed, 5u);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.body_bytes(), 0u);
}

TEST(HttpChunked, MalformedCodings) {
  struct Case {
    std::string text;
    Status want;
  } cases[] = {
      {"x\r\n", Status::kBadChunkSize},
      {"\r\n", Status::kBadChunkSize},
      {";ext\r\n", Status::kBadChunkSize},
      {"5\n", Status::kBadChunkSize},
      {"1000000000000000\r\n", Status::kBadChunkSize},  // 16 digits
      {"5;\x01\r\n", Status::kBadChunkSize},
      {"5;" + std::string(kMaxChunkExtBytes, 'e') + "\r\n", Status::kBadChunkSize},
      {"5\r\nhelloX\r\n", Status::kBadChunkEnd},
      {"5\r\nhello\rX", Status::kBadChunkEnd},
      {"0\r\nBad\x01trailer\r\n\r\n", Status::kBadChunkEnd},
      {"0\r\n" + std::string(kMaxTrailerBytes, 't') + "\r\n\r\n", Status::kTrailerTooLarge},
  };
  for (const Case& c : cases) {
    std::string body;
    std::size_t used = 0;
    EXPECT_EQ(status_name(decode(c.text, c.text.size(), &body, &used)), std::string(status_name(c.want)))
        << c.text.substr(0, 40);
  }
  // Fifteen hex digits are still a size.
  std::string body;
  std::size_t used = 0;
  EXPECT_EQ(decode("fffffffffffffff\r\nab", 100, &body, &used), Status::kNeedMore);
  EXPECT_EQ(body, "ab");
}

}  // namespace
}  // namespace tandem::dp::http
