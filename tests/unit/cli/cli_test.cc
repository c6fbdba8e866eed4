#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "controlplane/cli/cli.h"
#include "controlplane/cli/cli_server.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace tandem::cli;

TEST(CliTokenize, QuotesAndEscapes) {
  std::string err;
  auto w = tokenize(R"(set alias "a \"b\" c"  x)", &err);
  ASSERT_TRUE(w);
  EXPECT_THAT(*w, ElementsAre("set", "alias", "a \"b\" c", "x"));
  EXPECT_FALSE(tokenize(R"(set a "open)", &err));
  EXPECT_THAT(err, HasSubstr("unterminated"));
  auto e = tokenize(R"(x "")", &err);
  ASSERT_TRUE(e);
  EXPECT_THAT(*e, ElementsAre("x", ""));
}

TEST(CliTokenize, QuoteRoundTrips) {
  std::string err;
  // Every character tokenize() splits on is quoted ("\r" was not: found by fuzz_cli).
  for (std::string s : {"plain", "with space", "q\"uote", "back\\slash", "", "tab\there",
                        "new\nline", "carriage\rreturn"}) {
    auto w = tokenize(quote(s), &err);
    ASSERT_TRUE(w) << s;
    EXPECT_THAT(*w, ElementsAre(s));
  }
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg.add({
        {"get system status", "", "status", [](const Args&) { return Reply{true, "status"}; }},
        {"get system ha status", "", "ha", [](const Args&) { return Reply{true, "ha"}; }},
        {"get hardware nic", "<port>", "nic",
         [](const Args& a) { return Reply{true, "nic " + a[0]}; }, 1, 1},
        {"show", "[<path>...]", "show", [](const Args& a) {
           return Reply{true, "show " + std::to_string(a.size())}; }, -1, 0},
        {"show full-configuration", "", "full", [](const Args&) { return Reply{true, "full"}; }},
    });
  }
  CommandRegistry reg;
};

TEST_F(RegistryTest, ExactAndAbbreviated) {
  EXPECT_EQ(reg.execute("get system status").text, "status");
  EXPECT_EQ(reg.execute("get sys stat").text, "status");
  EXPECT_EQ(reg.execute("get system ha status").text, "ha");
  EXPECT_EQ(reg.execute("get hardware nic port1").text, "nic port1");
}

TEST_F(RegistryTest, LongestMatchWins) {
  EXPECT_EQ(reg.execute("show full-configuration").text, "full");
  EXPECT_EQ(reg.execute("show system ha").text, "show 2");
}

TEST_F(RegistryTest, ArgumentCountChecked) {
  Reply r = reg.execute("get hardware nic");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.text, HasSubstr("usage: get hardware nic <port>"));
  EXPECT_FALSE(reg.execute("get system status extra").ok);
}

TEST_F(RegistryTest, UnknownCommandSaysWhere) {
  Reply r = reg.execute("get system bogus");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.text, HasSubstr("command parse error before 'bogus'"));
  EXPECT_THAT(r.text, HasSubstr("get system status"));
  Reply inc = reg.execute("get system");
  EXPECT_FALSE(inc.ok);
  EXPECT_THAT(inc.text, HasSubstr("incomplete command"));
}

TEST_F(RegistryTest, HelpListsPrefix) {
  std::string h = reg.help({"get"});
  EXPECT_THAT(h, HasSubstr("get system status"));
  EXPECT_THAT(h, HasSubstr("get hardware nic <port>"));
  EXPECT_THAT(h, ::testing::Not(HasSubstr("show")));
}

TEST(CliParseNumber, DecimalUpToItsBound) {
  unsigned long v = 7;
  EXPECT_TRUE(parse_number("0", 60, &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_number("60", 60, &v));
  EXPECT_EQ(v, 60u);
  for (const char* bad : {"", "61", "1x", "x1", "-1", "12345678901", "1.5"}) {
    v = 7;
    EXPECT_FALSE(parse_number(bad, 60, &v)) << bad;
    EXPECT_EQ(v, 7u) << "untouched on " << bad;
  }
}

TEST(CliServer, RequestReplyOverSocket) {
  std::string path = "/tmp/tandem-cli-test-" + std::to_string(getpid()) + ".sock";
  CliServer server;
  std::string err;
  ASSERT_TRUE(server.listen(path, [](const std::string& req) {
    return req == "fail" ? Reply::error("no") : Reply{true, "echo:" + req};
  }, &err)) << err;
  // A second server on the same live socket must be refused.
  CliServer second;
  EXPECT_FALSE(second.listen(path, [](const std::string&) { return Reply{}; }, &err));
  EXPECT_THAT(err, HasSubstr("already serves"));

  std::atomic<bool> done{false};
  std::thread loop([&] {
    while (!done) {
      std::vector<pollfd> fds;
      server.add_poll_fds(&fds);
      poll(fds.data(), fds.size(), 10);
      server.handle(fds, 0, fds.size());
    }
  });
  Reply ok = request(path, "get system status", 2000);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.text, "echo:get system status\n");
  Reply bad = request(path, "fail", 2000);
  EXPECT_FALSE(bad.ok);
  std::string big(100000, 'x');
  EXPECT_EQ(request(path, big, 2000).text.size(), big.size() + 6);
  done = true;
  loop.join();
  server.close_all();
  Reply gone = request(path, "x", 500);
  EXPECT_FALSE(gone.ok);
  EXPECT_THAT(gone.text, HasSubstr("cannot reach tandemd"));
}
