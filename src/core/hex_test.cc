#include "core/hex.h"

#include <gtest/gtest.h>

#include <array>

namespace urna {
namespace {

TEST(HexTest, EncodesEveryByteAsTwoLowercaseDigits) {
  EXPECT_EQ(HexEncode(std::string_view("")), "");
  EXPECT_EQ(HexEncode(std::string_view("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  const unsigned char sha_abc_head[] = {0xba, 0x78, 0x16, 0xbf};
  EXPECT_EQ(HexEncode(sha_abc_head), "ba7816bf");
  std::string out = "\\u00";
  AppendHexByte(out, 0x1f);
  EXPECT_EQ(out, "\\u001f");
}

TEST(HexTest, DecodesWhatItEncodesForEveryByte) {
  std::array<unsigned char, 256> all;
  for (int i = 0; i < 256; ++i) all[i] = static_cast<unsigned char>(i);
  std::string hex = HexEncode(all);
  ASSERT_EQ(hex.size(), 512u);
  std::array<unsigned char, 256> back{};
  ASSERT_TRUE(HexDecode(hex, back));
  EXPECT_EQ(back, all);
}

TEST(HexTest, DecodeRefusesWrongLengthUppercaseAndNonDigits) {
  std::array<unsigned char, 2> out{};
  EXPECT_FALSE(HexDecode("0fa", out));
  EXPECT_FALSE(HexDecode("0fa0ff", out));
  EXPECT_FALSE(HexDecode("0FA0", out));
  EXPECT_FALSE(HexDecode("0g00", out));
  EXPECT_FALSE(HexDecode(std::string_view("0\0a0", 4), out));
  EXPECT_TRUE(HexDecode("0fa0", out));
  EXPECT_EQ(out[0], 0x0f);
  EXPECT_EQ(out[1], 0xa0);
}

TEST(HexTest, DigitValueTakesEitherCase) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('/'), -1);
  EXPECT_EQ(HexDigitValue(':'), -1);
  EXPECT_EQ(HexDigitValue('\xff'), -1);
}

}  // namespace
}  // namespace urna
