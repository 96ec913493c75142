#include "app/web_pages.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace urna::app {
namespace {

TEST(PageLanguage, PicksThePagesLanguageByQValue) {
  EXPECT_EQ(PageLanguage(""), "en");
  EXPECT_EQ(PageLanguage("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7"), "pt-BR");
  EXPECT_EQ(PageLanguage("pt"), "pt-BR");
  EXPECT_EQ(PageLanguage("PT-pt"), "pt-BR");  // the only Portuguese the pages have
  EXPECT_EQ(PageLanguage("en-US,en;q=0.9,pt-BR;q=0.8"), "en");
  EXPECT_EQ(PageLanguage("en;q=0.5, pt-BR"), "pt-BR");               // q-values, not order
  EXPECT_EQ(PageLanguage("de-DE, pt-BR;q=0.3, en;q=0.2"), "pt-BR");  // skips what is missing
  EXPECT_EQ(PageLanguage("de, fr;q=0.9"), "en");                     // nothing matches: the default
  EXPECT_EQ(PageLanguage("pt;q=0, en"), "en");                       // q=0 is "not acceptable"
  EXPECT_EQ(PageLanguage("pt;q=0"), "en");
  EXPECT_EQ(PageLanguage("*"), "en");
  EXPECT_EQ(PageLanguage("pt-BR;q=0.8, en;q=0.8"), "pt-BR");  // a tie: header order
  EXPECT_EQ(PageLanguage("pt-BR;q=abc, en;q=0.1"), "en");     // a malformed q ignores the range
  EXPECT_EQ(PageLanguage(",,; q=1,pt-BR ; q=1.000"), "pt-BR");
}

TEST(PageResponse, ServesThePageInTheChosenLanguage) {
  auto r = PageResponse("vote.html", "pt-BR,pt;q=0.9");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<html lang=\"pt-BR\""), std::string::npos);
  EXPECT_EQ(r.body.find("<html lang=\"en\""), std::string::npos);
  bool vary = false;
  for (auto& [k, v] : r.headers) vary |= k == "Vary" && v == "Accept-Language";
  EXPECT_TRUE(vary);
  EXPECT_NE(PageResponse("vote.html", "").body.find("<html lang=\"en\""), std::string::npos);
  EXPECT_EQ(PageResponse("notfound.html", "en", 404).status, 404u);
  EXPECT_EQ(PageResponse("no-such.html", "en").status, 404u);
}

TEST(DemoVoterId, DerivesAnIdFromAnyName) {
  std::regex shape("[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}");
  auto jose = DemoVoterId("  José da Silva ");
  ASSERT_TRUE(jose.ok()) << jose.status().message();
  EXPECT_TRUE(std::regex_match(*jose, shape)) << *jose;
  EXPECT_TRUE(jose->starts_with("jose-da-silva-")) << *jose;
  EXPECT_EQ(*jose, "jose-da-silva-800672be");       // docs/api.md's example (SHA-256 by Python)
  EXPECT_NE(*jose, *DemoVoterId("Jose da Silva"));  // another name, another voter
  EXPECT_TRUE(DemoVoterId("Ærøskøbing Straße")->starts_with("aeroskobing-strasse-"));
  auto cyrillic = DemoVoterId("Анна");
  ASSERT_TRUE(cyrillic.ok());
  EXPECT_TRUE(std::regex_match(*cyrillic, std::regex("voter-[0-9a-f]{8}"))) << *cyrillic;
  auto long_name = DemoVoterId(std::string(90, 'x'));
  ASSERT_TRUE(long_name.ok());
  EXPECT_EQ(long_name->size(), 40u + 9u);  // the slug is cut at 40 characters
}

TEST(DemoVoterId, RefusesWhatIsNotAName) {
  EXPECT_FALSE(DemoVoterId("").ok());
  EXPECT_FALSE(DemoVoterId("   ").ok());
  EXPECT_FALSE(DemoVoterId(std::string(101, 'x')).ok());
  EXPECT_FALSE(DemoVoterId("bad\xff"
                           "byte")
                   .ok());
  EXPECT_FALSE(DemoVoterId("over\xc3"
                           "long")
                   .ok());                     // a cut sequence
  EXPECT_FALSE(DemoVoterId("\xc0\xaf").ok());  // an overlong '/'
  EXPECT_FALSE(DemoVoterId("line\nbreak").ok());
  EXPECT_EQ(DemoVoterId("tab\there").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace urna::app
