// The password scheme shared by the config parser and the proxy.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/user/user_password.h"

namespace tandem::dp {
namespace {

TEST(UserPassword, HashVerifiesAndIsSalted) {
  char a[kUserPasswordHashMax + 1], b[kUserPasswordHashMax + 1];
  std::size_t na = user_password_hash("s3cret", 2, a, sizeof a);
  std::size_t nb = user_password_hash("s3cret", 2, b, sizeof b);
  ASSERT_GT(na, 0u);
  ASSERT_GT(nb, 0u);
  EXPECT_NE(std::string(a, na), std::string(b, nb));
  EXPECT_TRUE(user_password_valid(a));
  EXPECT_TRUE(user_password_verify(a, "s3cret"));
  EXPECT_FALSE(user_password_verify(a, "s3cret "));
  EXPECT_FALSE(user_password_verify(a, ""));
  EXPECT_EQ(std::string(a, na).substr(0, 6), "PB2$2$");
  // The default iteration count fits the buffer too.
  EXPECT_GT(user_password_hash("x", kUserPasswordIterations, a, sizeof a), 0u);
  EXPECT_EQ(user_password_hash("x", 2, a, 20), 0u);  // too small
  EXPECT_EQ(user_password_hash("x", 0, a, sizeof a), 0u);
}

TEST(UserPassword, MalformedWordsNeverVerify) {
  char good[kUserPasswordHashMax + 1];
  std::size_t n = user_password_hash("pw", 1, good, sizeof good);
  std::string word(good, n);
  for (std::string bad : {word.substr(0, n - 1), "PB1" + word.substr(3), word + "$", "PB2$0" + word.substr(5),
                          std::string("PB2$1$$"), std::string("plain")}) {
    EXPECT_FALSE(user_password_valid(bad)) << bad;
    EXPECT_FALSE(user_password_verify(bad, "pw")) << bad;
  }
}

}  // namespace
}  // namespace tandem::dp
