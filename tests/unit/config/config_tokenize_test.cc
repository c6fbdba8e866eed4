#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/tokenize.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::string_literals;

std::vector<std::string> texts(const TokenizeResult& r) {
  std::vector<std::string> out;
  for (const Token& t : r.tokens) out.push_back(t.text);
  return out;
}

std::vector<std::string> errors(const TokenizeResult& r) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.errors) out.push_back(d.to_string());
  return out;
}

TEST(ConfigTokenize, QuotesEscapesAndComments) {
  TokenizeResult r = tokenize("set alias \"a \\\"b\\\" \\\\ c\\nd\" # comment \"x\n  set x y#tail\n", "t.conf");
  EXPECT_THAT(errors(r), IsEmpty());
  EXPECT_THAT(texts(r), ElementsAre("set", "alias", "a \"b\" \\ c\nd", "set", "x", "y"));
  EXPECT_TRUE(r.tokens[2].quoted);
  EXPECT_FALSE(r.tokens[1].quoted);
  EXPECT_EQ(r.tokens[3].line, 2);
  EXPECT_EQ(r.tokens[3].column, 3);
}

TEST(ConfigTokenize, HashInsideQuotesIsText) {
  TokenizeResult r = tokenize("set url-map \"/#x\"", "t.conf");
  EXPECT_THAT(texts(r), ElementsAre("set", "url-map", "/#x"));
}

TEST(ConfigTokenize, CrlfAndLfGiveSameTokensAndLines) {
  TokenizeResult lf = tokenize("config system ha\n    set mode a-p\nend\n", "t.conf");
  TokenizeResult crlf = tokenize("config system ha\r\n    set mode a-p\r\nend\r\n", "t.conf");
  EXPECT_EQ(texts(lf), texts(crlf));
  ASSERT_EQ(crlf.tokens.size(), 7u);
  EXPECT_EQ(crlf.tokens[6].line, 3);
  EXPECT_EQ(crlf.tokens[6].column, 1);
  EXPECT_EQ(crlf.end_line, 4);
}

TEST(ConfigTokenize, OneLineFormIsJustWords) {
  TokenizeResult r = tokenize("config system ha set group-name \"501E\" end", "t.conf");
  EXPECT_THAT(texts(r), ElementsAre("config", "system", "ha", "set", "group-name", "501E", "end"));
  EXPECT_EQ(r.tokens[5].column, 33);
}

TEST(ConfigTokenize, ColumnsCountCharactersNotBytes) {
  TokenizeResult r = tokenize("set alias \"h\xC3\xA9llo\" x", "t.conf");
  EXPECT_THAT(errors(r), IsEmpty());
  ASSERT_EQ(r.tokens.size(), 4u);
  EXPECT_EQ(r.tokens[2].text, "h\xC3\xA9llo");
  EXPECT_EQ(r.tokens[3].column, 19);
}

TEST(ConfigTokenize, MissingClosingQuote) {
  TokenizeResult r = tokenize("set alias x\nset alias \"abc\nend\n", "t.conf");
  EXPECT_THAT(errors(r), ElementsAre("t.conf:2:11: error: missing closing quote of string started here"));
}

TEST(ConfigTokenize, UnknownEscape) {
  TokenizeResult r = tokenize("set alias \"a\\tb\"", "t.conf");
  EXPECT_THAT(errors(r), ElementsAre("t.conf:1:13: error: unknown escape in string (expected \\\", \\\\ or \\n)"));
}

TEST(ConfigTokenize, QuoteGluedToWord) {
  TokenizeResult r = tokenize("set alias \"a\"b\nset alias a\"b\"", "t.conf");
  EXPECT_THAT(errors(r), ElementsAre("t.conf:1:14: error: expected a space after the closing quote",
                                     "t.conf:2:12: error: quote inside a word (expected a space before the string)"));
}

TEST(ConfigTokenize, NulByteAndBadUtf8) {
  std::string text = "set a b\nset \xC3\x28 x\nset \0c"s;
  TokenizeResult r = tokenize(text, "t.conf");
  EXPECT_THAT(errors(r), ElementsAre("t.conf:2:5: error: invalid UTF-8 byte 0xc3 (expected UTF-8 text)",
                                     "t.conf:3:5: error: NUL byte in configuration text (expected UTF-8 text)"));
  EXPECT_THAT(r.tokens, IsEmpty());
}

TEST(ConfigTokenize, OverlongAndSurrogateUtf8Rejected) {
  EXPECT_FALSE(tokenize("\xC0\xAF", "t").errors.empty());
  EXPECT_FALSE(tokenize("\xED\xA0\x80", "t").errors.empty());
  EXPECT_FALSE(tokenize("\xF4\x90\x80\x80", "t").errors.empty());
  EXPECT_TRUE(tokenize("\xF0\x9F\x98\x80", "t").errors.empty());
}

}  // namespace
}  // namespace tandem::config
