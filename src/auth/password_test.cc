// The pieces under sign-in: argon2id hashing and rehash detection, random tokens
// and their hashes, and the password policy with the shipped list of common
// passwords.
#include "auth/password.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "auth/password_policy.h"
#include "auth/tokens.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::auth {
namespace {

using ::caduce::testing::IsOk;
using ::caduce::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(PasswordHasherTest, HashVerifiesOnlyTheRightPassword) {
  PasswordHasher hasher(PasswordCost::Minimal());
  ASSERT_OK_AND_ASSIGN(std::string hash, hasher.Hash("correct horse battery"));
  EXPECT_THAT(hash, StartsWith("$argon2id$"));
  EXPECT_TRUE(hasher.Verify(hash, "correct horse battery"));
  EXPECT_FALSE(hasher.Verify(hash, "correct horse batterY"));
  EXPECT_FALSE(hasher.Verify("", "correct horse battery"));
  EXPECT_FALSE(hasher.Verify("not a hash", "correct horse battery"));
  // A fresh salt each time.
  ASSERT_OK_AND_ASSIGN(std::string again, hasher.Hash("correct horse battery"));
  EXPECT_NE(hash, again);
}

TEST(PasswordHasherTest, OtherParametersNeedRehash) {
  PasswordHasher weak(PasswordCost::Minimal());
  PasswordCost stronger = PasswordCost::Minimal();
  stronger.opslimit += 1;
  PasswordHasher strong(stronger);
  ASSERT_OK_AND_ASSIGN(std::string hash, weak.Hash("un mot de passe assez long"));
  EXPECT_FALSE(weak.NeedsRehash(hash));
  EXPECT_TRUE(strong.NeedsRehash(hash));
  // The stronger hasher still verifies the old string.
  EXPECT_TRUE(strong.Verify(hash, "un mot de passe assez long"));
  EXPECT_TRUE(strong.NeedsRehash("garbage"));
  // A costlier stored hash (an older default) is brought to the configured cost.
  ASSERT_OK_AND_ASSIGN(std::string strong_hash, strong.Hash("un mot de passe assez long"));
  EXPECT_TRUE(weak.NeedsRehash(strong_hash));
  EXPECT_FALSE(strong.NeedsRehash(strong_hash));
  EXPECT_TRUE(weak.Verify(strong_hash, "un mot de passe assez long"));
}

TEST(TokensTest, TokensAreRandomBase64UrlAndHashRoundTrips) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK_AND_ASSIGN(NewToken t, GenerateToken());
    EXPECT_EQ(t.text.size(), 43u);
    EXPECT_EQ(t.text.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    std::optional<TokenHash> h = HashOfToken(t.text);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(*h, t.hash);
    EXPECT_TRUE(seen.insert(t.text).second);
  }
}

TEST(TokensTest, MalformedTokensHaveNoHash) {
  EXPECT_FALSE(HashOfToken("").has_value());
  EXPECT_FALSE(HashOfToken("short").has_value());
  EXPECT_FALSE(HashOfToken(std::string(43, '*')).has_value());
  EXPECT_FALSE(HashOfToken(std::string(44, 'A')).has_value());
}

class PasswordPolicyTest : public ::testing::Test {
 protected:
  PasswordPolicyTest() {
    auto p =
        PasswordPolicy::WithCommonPasswords(caduce::testing::DataDir() + "/common-passwords.txt");
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (p.ok()) policy_ = std::move(*p);
  }
  PasswordPolicy policy_;
  PasswordOwner owner_{"marie.dupont@chu-toulouse.mssante.fr", "LEFÈVRE", "Hélène"};
};

TEST_F(PasswordPolicyTest, ShipsSeveralHundredCommonPasswords) {
  EXPECT_GE(policy_.common_count(), 300u);
}

TEST_F(PasswordPolicyTest, TooShortIsRefused) {
  EXPECT_THAT(policy_.Check("Tr0p-court!", owner_),
              StatusIs(Code::kInvalidArgument, HasSubstr("au moins 12 caractères")));
  // Counted in code points: 11 accented letters are 22 bytes and still too short.
  EXPECT_THAT(policy_.Check("ééééééééééé", owner_), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(policy_.Check("éééééééééééé", owner_), IsOk());
}

TEST_F(PasswordPolicyTest, ControlCharactersAreRefused) {
  for (std::string_view bad : {std::string_view("Le chat boit\tdu thé", 20),
                               std::string_view("Le chat boit\ndu thé", 20),
                               std::string_view("Le chat boit\0du thé", 20),
                               std::string_view("Le chat boit\x7f du thé", 21)}) {
    EXPECT_THAT(policy_.Check(bad, owner_),
                StatusIs(Code::kInvalidArgument, HasSubstr("caractère de contrôle")));
  }
}

TEST_F(PasswordPolicyTest, ContainingTheAddressIsRefused) {
  EXPECT_THAT(policy_.Check("Marie.Dupont-2026!", owner_),
              StatusIs(Code::kInvalidArgument, HasSubstr("adresse")));
  EXPECT_THAT(policy_.Check("xx-mariedupont-xx", owner_),
              StatusIs(Code::kInvalidArgument, HasSubstr("adresse")));
}

TEST_F(PasswordPolicyTest, ContainingTheNameIsRefused) {
  EXPECT_THAT(policy_.Check("Cheval-LEFEVRE-vert", owner_),
              StatusIs(Code::kInvalidArgument, HasSubstr("nom")));
  // Folded: "HELENE" matches "Hélène".
  EXPECT_THAT(policy_.Check("bateau HELENE 42 rouge", owner_),
              StatusIs(Code::kInvalidArgument, HasSubstr("prénom")));
  // A name part under 3 letters is not searched for.
  PasswordOwner short_name{"x@y.fr", "LI", "Bo"};
  EXPECT_THAT(policy_.Check("Li bo marche sur la lune", short_name), IsOk());
}

TEST_F(PasswordPolicyTest, CommonPasswordIsRefused) {
  EXPECT_THAT(policy_.Check("MotDePasse2024", owner_),
              StatusIs(Code::kInvalidArgument, HasSubstr("courants")));
  EXPECT_THAT(policy_.Check("Azerty-Uiop-123", owner_),
              StatusIs(Code::kInvalidArgument, HasSubstr("courants")));
  // Without the list, only the other rules apply.
  PasswordPolicy bare;
  EXPECT_THAT(bare.Check("MotDePasse2024", owner_), IsOk());
}

TEST_F(PasswordPolicyTest, GoodPasswordIsAccepted) {
  EXPECT_THAT(policy_.Check("Le chat boit du thé à 7h", owner_), IsOk());
  EXPECT_THAT(policy_.Check("k9#Vq2!mZ0rLp", owner_), IsOk());
}

TEST_F(PasswordPolicyTest, MissingListIsDataLoss) {
  EXPECT_THAT(PasswordPolicy::WithCommonPasswords("/nonexistent/common.txt"),
              StatusIs(Code::kDataLoss));
}

}  // namespace
}  // namespace caduce::auth
