// url-map matching for the three types, lowest-id selection, per-worker
// scratch, and validate() reporting Hyperscan's compile errors.
#include <string>

#include <gtest/gtest.h>

#include "dataplane/policy/url_map.h"

namespace tandem::dp {
namespace {

TEST(DpUrlMap, SubString) {
  UrlMap map;
  UrlMapEntry entries[] = {{3, "/api/v1", UrlMapType::kSubString},
                           {5, "a.b+(c)", UrlMapType::kSubString}};
  std::string error;
  ASSERT_TRUE(map.compile(entries, 2, 1, &error)) << error;
  EXPECT_EQ(map.match("/api/v1/users", 0), 3);
  EXPECT_EQ(map.match("/x/api/v1", 0), 3);
  EXPECT_EQ(map.match("/api/v2", 0), -1);
  EXPECT_EQ(map.match("/API/V1", 0), -1);  // paths are case-sensitive
  // Metacharacters are literal.
  EXPECT_EQ(map.match("/q/a.b+(c)", 0), 5);
  EXPECT_EQ(map.match("/q/axb+(c)", 0), -1);
  EXPECT_EQ(map.match("/q/abbc", 0), -1);
}

TEST(DpUrlMap, MatchMaskReportsEveryMatchingEntry) {
  UrlMap map;
  UrlMapEntry entries[] = {{0, "/", UrlMapType::kSubString},
                           {1, "/api", UrlMapType::kSubString},
                           {2, "*.css", UrlMapType::kWildcard}};
  std::string error;
  ASSERT_TRUE(map.compile(entries, 3, 1, &error)) << error;
  EXPECT_EQ(map.match_mask("/api/x", 0), 0b011u);
  EXPECT_EQ(map.match_mask("/a.css", 0), 0b101u);
  EXPECT_EQ(map.match_mask("nothing", 0), 0u);
  EXPECT_EQ(map.match("/api/x", 0), 0);
}

TEST(DpUrlMap, Wildcard) {
  UrlMap map;
  UrlMapEntry entries[] = {{1, "/static/*.css", UrlMapType::kWildcard},
                           {2, "/v?/items", UrlMapType::kWildcard},
                           {7, "*", UrlMapType::kWildcard}};
  std::string error;
  ASSERT_TRUE(map.compile(entries, 2, 1, &error)) << error;
  EXPECT_EQ(map.match("/static/site.css", 0), 1);
  EXPECT_EQ(map.match("/static/a/b/c.css", 0), 1);
  EXPECT_EQ(map.match("/static/site.css.map", 0), -1);  // whole path
  EXPECT_EQ(map.match("/x/static/site.css", 0), -1);
  EXPECT_EQ(map.match("/static/sitexcss", 0), -1);  // '.' is literal
  EXPECT_EQ(map.match("/v1/items", 0), 2);
  EXPECT_EQ(map.match("/v10/items", 0), -1);
  EXPECT_EQ(map.match("/v/items", 0), -1);

  ASSERT_TRUE(map.compile(entries, 3, 1, &error)) << error;
  EXPECT_EQ(map.match("", 0), 7);
  EXPECT_EQ(map.match("/anything\nat all", 0), 7);
  EXPECT_EQ(map.match("/static/x.css", 0), 1);
}

TEST(DpUrlMap, Regex) {
  UrlMap map;
  UrlMapEntry entries[] = {{4, "^/user/[0-9]+$", UrlMapType::kRegex},
                           {9, "\\.php", UrlMapType::kRegex}};
  std::string error;
  ASSERT_TRUE(map.compile(entries, 2, 1, &error)) << error;
  EXPECT_EQ(map.match("/user/42", 0), 4);
  EXPECT_EQ(map.match("/user/42a", 0), -1);
  EXPECT_EQ(map.match("/index.php?x", 0), 9);
  EXPECT_EQ(map.match("/indexphp", 0), -1);
}

TEST(DpUrlMap, LowestIdWinsAndEveryWorkerHasScratch) {
  UrlMap map;
  UrlMapEntry entries[] = {{30, "/", UrlMapType::kSubString},
                           {10, "/api/*", UrlMapType::kWildcard},
                           {20, "^/api", UrlMapType::kRegex}};
  std::string error;
  ASSERT_TRUE(map.compile(entries, 3, 4, &error)) << error;
  EXPECT_EQ(map.nb_workers(), 4u);
  for (unsigned w = 0; w < 4; ++w) {
    EXPECT_EQ(map.match("/api/x", w), 10) << w;
    EXPECT_EQ(map.match("/apix", w), 20) << w;
    EXPECT_EQ(map.match("/other", w), 30) << w;
    EXPECT_EQ(map.match("none", w), -1) << w;
  }
  EXPECT_EQ(map.match("/api/x", 4), -1);  // no scratch for that worker
}

TEST(DpUrlMap, EmptySetMatchesNothing) {
  UrlMap map;
  std::string error;
  ASSERT_TRUE(map.compile(nullptr, 0, 2, &error)) << error;
  EXPECT_EQ(map.match("/", 0), -1);
  EXPECT_EQ(map.match("/", 1), -1);
}

TEST(DpUrlMap, FailedCompileKeepsPreviousDatabase) {
  UrlMap map;
  UrlMapEntry good[] = {{1, "/ok", UrlMapType::kSubString}};
  std::string error;
  ASSERT_TRUE(map.compile(good, 1, 1, &error));
  UrlMapEntry bad[] = {{2, "/fine", UrlMapType::kSubString}, {6, "/(unclosed", UrlMapType::kRegex}};
  EXPECT_FALSE(map.compile(bad, 2, 1, &error));
  EXPECT_NE(error.find("url-map 6"), std::string::npos) << error;
  EXPECT_NE(error.find("/(unclosed"), std::string::npos) << error;
  EXPECT_EQ(map.match("/ok", 0), 1);

  UrlMapEntry negative[] = {{-1, "/x", UrlMapType::kSubString}};
  EXPECT_FALSE(map.compile(negative, 1, 1, &error));
  EXPECT_FALSE(map.compile(good, 1, 0, &error));
}

TEST(DpUrlMap, Validate) {
  std::string error;
  EXPECT_TRUE(UrlMap::validate("/api", UrlMapType::kSubString, &error));
  EXPECT_TRUE(UrlMap::validate("(((", UrlMapType::kSubString, &error));  // literal
  EXPECT_TRUE(UrlMap::validate("/a/*/b?", UrlMapType::kWildcard, &error));
  EXPECT_TRUE(UrlMap::validate("^/v[12]/", UrlMapType::kRegex, &error));

  EXPECT_FALSE(UrlMap::validate("/(unclosed", UrlMapType::kRegex, &error));
  EXPECT_FALSE(error.empty());
  error.clear();
  // Backreferences are PCRE, not Hyperscan: the operator must see why.
  EXPECT_FALSE(UrlMap::validate("(a)\\1", UrlMapType::kRegex, &error));
  EXPECT_NE(error.find("Back-references"), std::string::npos) << error;
}

TEST(DpUrlMap, Expressions) {
  EXPECT_EQ(UrlMap::to_expression("/a.b", UrlMapType::kSubString), "\\x2fa\\x2eb");
  EXPECT_EQ(UrlMap::to_expression("/a*?", UrlMapType::kWildcard), "^\\x2fa.*.\\z");
  EXPECT_EQ(UrlMap::to_expression("^x$", UrlMapType::kRegex), "^x$");
}

}  // namespace
}  // namespace tandem::dp
