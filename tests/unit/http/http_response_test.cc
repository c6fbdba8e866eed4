// The response-head parser: framing per RFC 9112 section 6.3 and
// connection reuse, as the relay needs them.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/http/http.h"

namespace tandem::dp::http {
namespace {

TEST(HttpResponse, FramingFollowsRfc9112) {
  struct Case {
    const char* text;
    bool head_request;
    BodyFraming framing;
    bool keep_alive;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, BodyFraming::kLength, true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, BodyFraming::kNone, true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, BodyFraming::kChunked, true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, BodyFraming::kUntilClose, false},
      {"HTTP/1.1 200 OK\r\n\r\n", false, BodyFraming::kUntilClose, false},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, BodyFraming::kNone, true},
      {"HTTP/1.1 204 No Content\r\n\r\n", false, BodyFraming::kNone, true},
      {"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false, BodyFraming::kNone, true},
      {"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", false, BodyFraming::kLength, false},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", false, BodyFraming::kLength, false},
  };
  for (const Case& c : cases) {
    ResponseHead h;
    ASSERT_EQ(parse_response_head(c.text, c.head_request, &h), Status::kDone) << c.text;
    EXPECT_EQ(h.framing, c.framing) << c.text;
    EXPECT_EQ(h.keep_alive, c.keep_alive) << c.text;
  }
}

TEST(HttpResponse, StatusLine) {
  ResponseHead h;
  ASSERT_EQ(parse_response_head("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false, &h), Status::kDone);
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.reason, "Not Found");
  ASSERT_EQ(parse_response_head("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, &h), Status::kDone);
  EXPECT_EQ(h.reason, "");
  ASSERT_EQ(parse_response_head("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                                "Upgrade: websocket\r\n\r\n",
                                false, &h),
            Status::kDone);
  EXPECT_TRUE(h.switching_protocols);
  EXPECT_TRUE(h.fields.upgrade_websocket);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  for (const char* bad : {"HTTP/1.1 99 Low\r\n\r\n", "HTTP/1.1 600 High\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n"}) {
    EXPECT_EQ(parse_response_head(bad, false, &h), Status::kBadStatusLine) << bad;
  }
  EXPECT_EQ(parse_response_head("HTTP/3.0 200 OK\r\n\r\n", false, &h), Status::kUnsupportedVersion);
  EXPECT_EQ(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                                false, &h),
            Status::kContentLengthAndChunked);
}

TEST(HttpResponse, IncrementalFeedMatchesOneShot) {
  std::string text = "HTTP/1.1 200 OK\r\nServer: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  ResponseHead whole;
  ASSERT_EQ(parse_response_head(text, false, &whole), Status::kDone);
  for (std::size_t cut = 0; cut < whole.head_bytes; ++cut) {
    ResponseParser p;
    ASSERT_EQ(p.feed(std::string_view(text).substr(0, cut), false), Status::kNeedMore) << cut;
    ASSERT_EQ(p.feed(text, false), Status::kDone) << cut;
    EXPECT_EQ(p.head().head_bytes, whole.head_bytes);
    EXPECT_EQ(p.head().framing, BodyFraming::kChunked);
  }
}

}  // namespace
}  // namespace tandem::dp::http
