#include "app/strict_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <string>

#include "app/json_util.h"

namespace urna::app {
namespace {

namespace json = boost::json;

TEST(StrictJsonTest, ParsesLikeBoostJson) {
  std::string text =
      R"({"id":"e1","n":-3,"u":18446744073709551615,"d":1.5,"ok":true,"none":null,)"
      R"("options":[{"id":"a","label":"A"},{"id":"b","label":"B"}],"nested":{"x":[[],{}]}})";
  auto v = ParseStrictJson(text);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(*v, json::parse(text));
  EXPECT_EQ(ParseStrictJson(" [1, \"two\"] \n")->as_array().size(), 2u);
}

TEST(StrictJsonTest, RefusesADuplicateKeyAtAnyDepth) {
  for (std::string text : {R"({"option":"a","option":"b"})", R"({"a":{"x":1,"y":2,"x":3}})",
                           R"({"options":[{"id":"a","label":"A","id":"b"}]})",
                           R"([[{"k":1}], {"k":1, "k":2}])", R"({"":1,"":2})"}) {
    auto v = ParseStrictJson(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
    EXPECT_NE(v.status().message().find("duplicate key"), std::string::npos) << text;
  }
  EXPECT_EQ(ParseStrictJson(R"({"a":{"x":1,"x":2}})").status().message(), "duplicate key \"x\"");
  // An escaped spelling of the same key is the same key.
  EXPECT_EQ(ParseStrictJson(R"({"option":"a","opti\u006fn":"b"})").status().message(),
            "duplicate key \"option\"");
}

TEST(StrictJsonTest, TheSameKeyInSiblingObjectsIsFine) {
  auto v = ParseStrictJson(R"({"a":{"id":1},"b":{"id":2},"c":[{"id":3},{"id":4}]})");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->at("c").at(1).at("id"), 4);
}

TEST(StrictJsonTest, MalformedInputIsAClearError) {
  for (std::string text : {"", "{", R"({"a":1} x)", R"({"a":})", "{\"a\":1,}"}) {
    auto v = ParseStrictJson(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.status().message().rfind("malformed JSON", 0), 0u) << v.status().message();
  }
}

TEST(StrictJsonTest, LongDuplicateKeysAreShortenedInTheMessage) {
  std::string key(300, 'k');
  auto v = ParseStrictJson("{\"" + key + "\":1,\"" + key + "\":2}");
  ASSERT_FALSE(v.ok());
  EXPECT_LT(v.status().message().size(), 130u);
}

TEST(ParseObjectTest, RefusesDuplicatesAndNonObjects) {
  EXPECT_TRUE(ParseObject(R"({"option":"a"})").ok());
  EXPECT_EQ(ParseObject(R"({"option":"a","option":"b"})").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseObject("[1]").status().message(), "request body must be a JSON object");
  EXPECT_EQ(ParseObject("").status().code(), Code::kInvalidArgument);
}

TEST(RejectUnknownFieldsTest, NamesTheFirstUnknownKey) {
  auto o = ParseObject(R"({"id":"e1","result_visibility":"hidden_until_closed","x":1})");
  ASSERT_TRUE(o.ok());
  Status s = RejectUnknownFields(*o, {"id", "results_visibility"});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown field \"result_visibility\"");
  EXPECT_EQ(RejectUnknownFields(*o, {"id", "x"}, "options[1]: ").message(),
            "options[1]: unknown field \"result_visibility\"");
}

TEST(RejectUnknownFieldsTest, KnownKeysAndEmptyObjectsPass) {
  auto o = ParseObject(R"({"option":"a","altcha":null})");
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(RejectUnknownFields(*o, {"option", "altcha"}).ok());
  EXPECT_TRUE(RejectUnknownFields(*o, {"altcha", "option", "other"}).ok());
  EXPECT_TRUE(RejectUnknownFields(json::object{}, std::initializer_list<std::string_view>{}).ok());
  // Case matters: JSON keys are exact.
  EXPECT_FALSE(RejectUnknownFields(json::object{{"Option", "a"}}, {"option"}).ok());
}

TEST(RejectUnknownFieldsTest, LongKeysAreShortened) {
  json::object o{{std::string(300, 'k'), 1}};
  EXPECT_LT(RejectUnknownFields(o, {"id"}).message().size(), 130u);
}

TEST(RejectBodyTest, NoneOrAnEmptyObjectPassesAnythingElseIsRefused) {
  EXPECT_TRUE(RejectBody("").ok());
  EXPECT_TRUE(RejectBody(" \r\n").ok());
  EXPECT_TRUE(RejectBody("{}").ok());
  EXPECT_TRUE(RejectBody(" { } ").ok());
  EXPECT_EQ(RejectBody(R"({"dry_run":true})").message(), "unknown field \"dry_run\"");
  EXPECT_EQ(RejectBody(R"({"force":true})").code(), Code::kInvalidArgument);
  for (const char* other : {"true", "[]", "null", "x", "{\"a\":1,\"a\":2}", "{} {}"}) {
    Status s = RejectBody(other);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << other;
    EXPECT_EQ(s.message(), "this call takes no body") << other;
  }
}

}  // namespace
}  // namespace urna::app
