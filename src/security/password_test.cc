#include "security/password.h"

#include "gtest/gtest.h"

namespace rhip::security {
namespace {

TEST(PasswordTest, HashVerifiesOnlyTheSameSecret) {
  absl::StatusOr<std::string> hash = HashSecret("Correct-horse-9");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifySecret(*hash, "Correct-horse-9"));
  EXPECT_FALSE(VerifySecret(*hash, "Correct-horse-8"));
  EXPECT_FALSE(VerifySecret(*hash, ""));
  EXPECT_FALSE(VerifySecret("not a hash", "Correct-horse-9"));
  // Salted: the same secret hashes differently each time.
  EXPECT_NE(*hash, *HashSecret("Correct-horse-9"));
}

TEST(PasswordTest, Policy) {
  EXPECT_FALSE(CheckPasswordPolicy("Ab1!").ok());            // too short
  EXPECT_FALSE(CheckPasswordPolicy("abcdefghijkl").ok());    // one class
  EXPECT_FALSE(CheckPasswordPolicy("abcdefgh1234").ok());    // two classes
  EXPECT_TRUE(CheckPasswordPolicy("abcdefGH1234").ok());
  EXPECT_TRUE(CheckPasswordPolicy("村医密码abc123").ok());    // UTF-8 counts as "other"
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(CheckPasswordPolicy(GeneratePassword()).ok());
}

TEST(PasswordTest, RandomTokensAndDigests) {
  std::string a = RandomToken(), b = RandomToken();
  EXPECT_EQ(a.size(), 43u);  // 256 bits, unpadded base64url
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(PasswordTest, Base64) {
  EXPECT_EQ(*Base64Decode("aWQ6c2VjcmV0"), "id:secret");
  EXPECT_FALSE(Base64Decode("aWQ6c2VjcmV0!").ok());
  EXPECT_EQ(Base64Encode("id:secret"), "aWQ6c2VjcmV0");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(*Base64Decode(Base64Encode("subject=Patient/p1&_count=5")), "subject=Patient/p1&_count=5");
  EXPECT_FALSE(Base64Decode("aWQ6c2VjcmV").ok());  // bad padding
}

}  // namespace
}  // namespace rhip::security
