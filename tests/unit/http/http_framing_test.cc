// BodyFramer and ResponseFramer: where a relayed message ends, whatever the
// framing (Content-Length, chunked, close-delimited, no body) and however
// the stream is split; interim 1xx heads; pipelined bytes left for the
// next message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/http/http.h"

namespace tandem::dp::http {
namespace {

// Feeds `stream` in pieces of `step` until the framer is done; returns
// the bytes consumed (npos when it never finished) and the last status.
template <typename Framer>
std::size_t frame(Framer& f, const std::string& stream, std::size_t step, Status* last) {
  std::size_t at = 0;
  *last = Status::kNeedMore;
  while (at < stream.size() || *last == Status::kNeedMore) {
    std::size_t n = stream.size() - at < step ? stream.size() - at : step;
    std::size_t used = 0;
    *last = f.feed(std::string_view(stream).substr(at, n), &used);
    EXPECT_LE(used, n);
    at += used;
    if (*last == Status::kData) continue;  // a head ended; the message goes on
    if (*last != Status::kNeedMore) return at;
    if (n == 0) break;
  }
  return std::string::npos;
}

struct Case {
  const char* name;
  std::string response;
  bool head_request;
  BodyFraming framing;
};

TEST(ResponseFramer, EndsEachFramingAtEverySplit) {
  const std::string kNext = "HTTP/1.1 200 OK\r\n";  // a pipelined next response
  const Case cases[] = {
      {"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, BodyFraming::kLength},
      {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
       false, BodyFraming::kChunked},
      {"204", "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", false, BodyFraming::kNone},
      {"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", false, BodyFraming::kNone},
      {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, BodyFraming::kNone},
      {"100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false,
       BodyFraming::kLength},
      {"empty length", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, BodyFraming::kNone},
  };
  for (const Case& c : cases) {
    for (std::size_t step = 1; step <= c.response.size() + kNext.size(); ++step) {
      ResponseFramer f;
      f.start(c.head_request);
      Status last;
      std::size_t used = frame(f, c.response + kNext, step, &last);
      ASSERT_EQ(last, Status::kDone) << c.name << " step " << step;
      EXPECT_EQ(used, c.response.size()) << c.name << " step " << step;
      EXPECT_EQ(f.head().framing, c.framing) << c.name;
    }
  }
}

TEST(ResponseFramer, CloseDelimitedNeverEnds) {
  ResponseFramer f;
  f.start(false);
  std::string r = "HTTP/1.1 200 OK\r\n\r\nsome bytes until the server closes";
  std::size_t used = 0, more = 0;
  EXPECT_EQ(f.feed(r, &used), Status::kData);
  EXPECT_EQ(f.feed(std::string_view(r).substr(used), &more), Status::kNeedMore);
  EXPECT_EQ(used + more, r.size());
  EXPECT_EQ(f.head().framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(f.head().keep_alive);
}

TEST(ResponseFramer, SwitchingProtocolsEndsAtTheHead) {
  ResponseFramer f;
  f.start(false);
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  std::size_t used = 0, more = 0;
  EXPECT_EQ(f.feed(head + "\x81\x05hello", &used), Status::kData);
  EXPECT_EQ(used, head.size());
  EXPECT_EQ(f.feed("\x81\x05hello", &more), Status::kDone);
  EXPECT_EQ(more, 0u);
  EXPECT_TRUE(f.head().switching_protocols);
}

TEST(ResponseFramer, InterimHeadsComeOneByOne) {
  ResponseFramer f;
  f.start(false);
  std::string r = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::size_t at = 0, used = 0;
  std::vector<uint16_t> heads;
  Status s;
  while ((s = f.feed(std::string_view(r).substr(at), &used)) == Status::kData) {
    at += used;
    heads.push_back(f.head().status);
  }
  at += used;
  EXPECT_EQ(s, Status::kDone);
  EXPECT_EQ(at, r.size());
  EXPECT_EQ(heads, (std::vector<uint16_t>{100, 103, 200}));
  EXPECT_EQ(f.interim(), 2u);
}

TEST(ResponseFramer, ErrorsAreFinal) {
  ResponseFramer f;
  f.start(false);
  std::size_t used = 0;
  std::string bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  EXPECT_EQ(f.feed(bad, &used), Status::kData);
  EXPECT_EQ(f.feed(std::string_view(bad).substr(used), &used), Status::kBadChunkSize);
  EXPECT_EQ(f.feed("0\r\n\r\n", &used), Status::kBadChunkSize);
  f.start(false);
  EXPECT_EQ(f.feed("garbage\r\n\r\n", &used), Status::kBadStatusLine);
  f.start(false);
  std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(kMaxHeadBytes, 'a');
  EXPECT_EQ(f.feed(big, &used), Status::kHeadTooLarge);
}

TEST(BodyFramer, RequestBodies) {
  BodyFramer b;
  std::size_t used = 0;
  b.start(BodyFraming::kNone, 0);
  EXPECT_EQ(b.feed("GET / HTTP/1.1\r\n", &used), Status::kDone);
  EXPECT_EQ(used, 0u);
  b.start(BodyFraming::kLength, 10);
  EXPECT_EQ(b.feed("01234", &used), Status::kNeedMore);
  EXPECT_EQ(used, 5u);
  EXPECT_EQ(b.feed("56789GET", &used), Status::kDone);
  EXPECT_EQ(used, 5u);
  const std::string chunked = "3\r\nabc\r\n0\r\n\r\n";
  for (std::size_t step = 1; step <= chunked.size() + 3; ++step) {
    b.start(BodyFraming::kChunked, 0);
    Status last;
    EXPECT_EQ(frame(b, chunked + "GET", step, &last), chunked.size()) << step;
    EXPECT_EQ(last, Status::kDone);
  }
}

}  // namespace
}  // namespace tandem::dp::http
