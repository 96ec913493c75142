// SigV4 signing against AWS's published Signature Version 4 test suite
// (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html; the files as kept in
// bazelbuild/bazel, third_party/aws-sig-v4-test-suite/<name>/<name>.{req,creq,sts,authz}).
// Every case there signs with key id AKIDEXAMPLE, the secret below, region us-east-1, service
// "service", at 20150830T123600Z. The inputs (.req) and the expected canonical requests
// (.creq), strings to sign (.sts) and Authorization headers (.authz) are reproduced here as
// test data. The derived-key example is AWS's "derive a signing key" example (IAM, 20120215).
#include "adapters/dynamodb/sigv4.h"

#include <gtest/gtest.h>

#include <string>

namespace urna::dynamodb {
namespace {

const AwsCredentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SigningScope kScope{"20150830T123600Z", "us-east-1", "service"};
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// The Authorization header Sign() produces for a suite request.
std::string SignedAuthorization(const RequestToSign& r, const AwsCredentials& c = kCredentials) {
  for (const auto& [name, value] : Sign(r, c, kScope)) {
    if (name == "Authorization") return value;
  }
  return "";
}

// post-x-www-form-urlencoded: a body and a content-type.
RequestToSign PostFormUrlencoded() {
  return {"POST",
          "/",
          {},
          {{"Content-Type", "application/x-www-form-urlencoded"},
           {"Host", "example.amazonaws.com"},
           {"X-Amz-Date", "20150830T123600Z"}},
          "Param1=value1"};
}

TEST(SigV4Test, CanonicalRequestOfPostWithBody) {
  CanonicalForm c = CanonicalRequest(PostFormUrlencoded());
  EXPECT_EQ(c.request,
            "POST\n/\n\n"
            "content-type:application/x-www-form-urlencoded\n"
            "host:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(c.signed_headers, "content-type;host;x-amz-date");
}

TEST(SigV4Test, StringToSignOfPostWithBody) {
  EXPECT_EQ(StringToSign(kScope, CanonicalRequest(PostFormUrlencoded()).request),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
}

TEST(SigV4Test, AuthorizationOfPostWithBody) {
  CanonicalForm c = CanonicalRequest(PostFormUrlencoded());
  std::string signature = Signature(SigningKey(kCredentials.secret_access_key, kScope),
                                    StringToSign(kScope, c.request));
  const std::string want =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date, "
      "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a";
  EXPECT_EQ(AuthorizationHeader(kCredentials.access_key_id, kScope, c.signed_headers, signature),
            want);
  EXPECT_EQ(SignedAuthorization(PostFormUrlencoded()), want);
}

// post-x-www-form-urlencoded-parameters: a header value with inner spaces is kept as it is.
TEST(SigV4Test, ContentTypeWithParameters) {
  RequestToSign r = PostFormUrlencoded();
  r.headers[0].second = "application/x-www-form-urlencoded; charset=utf8";
  CanonicalForm c = CanonicalRequest(r);
  EXPECT_EQ(c.request,
            "POST\n/\n\n"
            "content-type:application/x-www-form-urlencoded; charset=utf8\n"
            "host:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(StringToSign(kScope, c.request),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c");
  EXPECT_EQ(SignedAuthorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe");
}

RequestToSign Get(std::vector<std::pair<std::string, std::string>> query) {
  return {"GET",
          "/",
          std::move(query),
          {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
          ""};
}

// get-vanilla-query-order-key: parameters sort by name, then value, byte-wise (V < v).
TEST(SigV4Test, QueryParametersSorted) {
  RequestToSign r = Get({{"Param1", "value2"}, {"Param1", "Value1"}});
  CanonicalForm c = CanonicalRequest(r);
  EXPECT_EQ(c.request, std::string("GET\n/\nParam1=Value1&Param1=value2\n"
                                   "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                   "host;x-amz-date\n") +
                           kEmptySha256);
  EXPECT_EQ(StringToSign(kScope, c.request),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89");
  EXPECT_EQ(SignedAuthorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
}

// get-vanilla-query-order-value
TEST(SigV4Test, QueryValuesSorted) {
  RequestToSign r = Get({{"Param1", "value2"}, {"Param1", "value1"}});
  EXPECT_EQ(StringToSign(kScope, CanonicalRequest(r).request),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606");
  EXPECT_EQ(SignedAuthorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
}

// get-vanilla-utf8-query: non-ASCII bytes are percent-encoded (UTF-8, uppercase hex).
TEST(SigV4Test, Utf8QueryEncoded) {
  RequestToSign r = Get({{"\xe1\x88\xb4", "bar"}});
  EXPECT_NE(CanonicalRequest(r).request.find("\n%E1%88%B4=bar\n"), std::string::npos);
  EXPECT_EQ(SignedAuthorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

// get-unreserved: unreserved characters of the path stay as they are.
TEST(SigV4Test, UnreservedPathKept) {
  RequestToSign r = Get({});
  r.path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(CanonicalRequest(r).request.rfind("GET\n" + r.path + "\n\n", 0), 0u);
  EXPECT_EQ(SignedAuthorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

// get-header-key-duplicate: repeated headers join in request order.
TEST(SigV4Test, RepeatedHeaderJoined) {
  RequestToSign r = Get({});
  r.headers.insert(r.headers.begin() + 1,
                   {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}});
  CanonicalForm c = CanonicalRequest(r);
  EXPECT_NE(c.request.find("\nmy-header1:value2,value2,value1\n"), std::string::npos);
  EXPECT_EQ(c.signed_headers, "host;my-header1;x-amz-date");
  EXPECT_EQ(SignedAuthorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;my-header1;x-amz-date, "
            "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

// get-header-value-trim: values trimmed, inner runs of spaces collapsed (even inside quotes).
TEST(SigV4Test, HeaderValuesTrimmed) {
  RequestToSign r = Get({});
  r.headers.insert(r.headers.begin() + 1,
                   {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}});
  CanonicalForm c = CanonicalRequest(r);
  EXPECT_NE(c.request.find("\nmy-header1:value1\nmy-header2:\"a b c\"\n"), std::string::npos);
  EXPECT_EQ(SignedAuthorization(r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
            "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

// post-vanilla, signed by Sign() from a request without X-Amz-Date: Sign adds it.
TEST(SigV4Test, SignAddsDate) {
  RequestToSign r{"POST", "/", {}, {{"Host", "example.amazonaws.com"}}, ""};
  HeaderList added = Sign(r, kCredentials, kScope);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0], (std::pair<std::string, std::string>("X-Amz-Date", "20150830T123600Z")));
  EXPECT_EQ(added[1].first, "Authorization");
  EXPECT_EQ(added[1].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

// post-sts-header-before: a session token is sent as X-Amz-Security-Token and signed.
TEST(SigV4Test, SessionTokenSigned) {
  AwsCredentials c = kCredentials;
  c.session_token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpS"
      "PfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/"
      "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT"
      "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
      "scqKmlzm8"
      "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  RequestToSign r{"POST", "/", {}, {{"Host", "example.amazonaws.com"}}, ""};
  HeaderList added = Sign(r, c, kScope);
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[1],
            (std::pair<std::string, std::string>("X-Amz-Security-Token", c.session_token)));
  EXPECT_EQ(added[2].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

// AWS's "derive a signing key" example.
TEST(SigV4Test, SigningKeyDerivation) {
  SigningScope iam{"20120215T000000Z", "us-east-1", "iam"};
  EXPECT_EQ(Hex(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", iam)),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, AmzDateIsBasicFormatUtc) {
  using std::chrono::seconds;
  std::chrono::system_clock::time_point t{seconds(1440938160)};  // 2015-08-30 12:36:00 UTC
  EXPECT_EQ(AmzDate(t), "20150830T123600Z");
  EXPECT_EQ(AmzDate(t + std::chrono::milliseconds(999)), "20150830T123600Z");
  EXPECT_EQ(AmzDate(std::chrono::system_clock::time_point{}), "19700101T000000Z");
}

TEST(SigV4Test, EmptyPathIsSlash) {
  RequestToSign r = Get({});
  r.path = "";
  EXPECT_EQ(CanonicalRequest(r).request.substr(0, 6), "GET\n/\n");
}

}  // namespace
}  // namespace urna::dynamodb
