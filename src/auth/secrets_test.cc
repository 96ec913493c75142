#include "auth/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace urna {
namespace {

unsigned Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : {"URNA_VOTER_SECRET", "URNA_ADMIN_TOKEN", "URNA_AUDIT_KEY"}) {
      ::unsetenv(n);
    }
    char tmpl[] = "/tmp/urna-secrets-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    parent_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(parent_); }
  std::string parent_;
};

TEST_F(SecretsTest, GeneratedSecretsArePrivateFromTheStart) {
  std::string dir = parent_ + "/data";
  // A leftover of a crash, readable by everyone: it must not become the secrets file.
  std::filesystem::create_directory(dir);
  ::chmod(dir.c_str(), 0700);
  std::ofstream(dir + "/secrets.tmp") << "stale\n";
  ::chmod((dir + "/secrets.tmp").c_str(), 0644);

  Secrets s = LoadSecrets(dir);
  EXPECT_TRUE(s.generated);
  EXPECT_EQ(s.voter_secret.size(), 64u);
  EXPECT_EQ(Mode(dir + "/secrets"), 0600u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/secrets.tmp"));

  Secrets again = LoadSecrets(dir);  // the same secrets come back
  EXPECT_EQ(again.voter_secret, s.voter_secret);
  EXPECT_EQ(again.admin_token, s.admin_token);
  EXPECT_EQ(again.audit_key, s.audit_key);
}

TEST_F(SecretsTest, ANewDataDirIsPrivate) {
  std::string dir = parent_ + "/a/b/data";
  LoadSecrets(dir);
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(dir + "/secrets"), 0600u);
}

TEST_F(SecretsTest, AnOlderWiderSecretsFileIsNarrowed) {
  std::string dir = parent_ + "/data";
  LoadSecrets(dir);
  ::chmod((dir + "/secrets").c_str(), 0644);
  LoadSecrets(dir);
  EXPECT_EQ(Mode(dir + "/secrets"), 0600u);
}

}  // namespace
}  // namespace urna
