// The text parser: what it accepts, what it produces, and where it reports each kind of error.
#include "piramid/text_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace piramid {
namespace {

TextParse dense(const std::string& text, std::vector<float>* out, int max = 16000, float range = HUGE_VALF) {
  out->assign(static_cast<size_t>(count_commas(text.c_str())) + 1, -99.0f);
  TextParse r = parse_dense_text(text.c_str(), out->data(), max, range);
  if (r.error == TextError::kNone) out->resize(static_cast<size_t>(r.count));
  return r;
}

TEST(DenseText, ParsesNumbersAndWhitespace) {
  std::vector<float> v;
  ASSERT_EQ(dense(" [ 1 ,\t-2.5e1,\n0x10 , .5 ] \f", &v).error, TextError::kNone);
  EXPECT_EQ(v, (std::vector<float>{1.0f, -25.0f, 16.0f, 0.5f}));
}

TEST(DenseText, UnderflowBecomesZero) {
  std::vector<float> v;
  ASSERT_EQ(dense("[1e-46,-1e-46]", &v).error, TextError::kNone);
  EXPECT_EQ(v[0], 0.0f);
  EXPECT_TRUE(std::signbit(v[1]));
}

struct BadInput {
  const char* text;
  TextError error;
  size_t offset;
  size_t length;
};

TEST(DenseText, ReportsEachErrorWithItsPosition) {
  const BadInput cases[] = {
      {"[1,,2]", TextError::kSyntax, 3, 1},     {"[1,2", TextError::kSyntax, 4, 0},
      {"1,2]", TextError::kSyntax, 0, 1},       {"[a]", TextError::kSyntax, 1, 1},
      {"", TextError::kSyntax, 0, 0},           {"[1 2]", TextError::kSyntax, 3, 1},
      {"[1,2]x", TextError::kJunkAfterEnd, 5, 1}, {"[]", TextError::kEmpty, 1, 1},
      {"[ ]", TextError::kEmpty, 2, 1},         {"[NaN]", TextError::kNaN, 1, 3},
      {"[1,-inf]", TextError::kInfinite, 3, 4}, {"[4e38]", TextError::kOutOfRange, 1, 4},
      {"[1,]", TextError::kSyntax, 3, 1},
  };
  for (const BadInput& c : cases) {
    std::vector<float> v;
    const TextParse r = dense(c.text, &v);
    EXPECT_EQ(r.error, c.error) << c.text;
    EXPECT_EQ(r.offset, c.offset) << c.text;
    EXPECT_EQ(r.length, c.length) << c.text;
  }
}

TEST(DenseText, EnforcesTheElementLimitAndRange) {
  std::vector<float> v;
  EXPECT_EQ(dense("[1,2,3]", &v, 3).error, TextError::kNone);
  EXPECT_EQ(dense("[1,2,3,4]", &v, 3).error, TextError::kTooManyElements);
  EXPECT_EQ(dense("[65504]", &v, 10, 65520.0f).error, TextError::kNone);
  EXPECT_EQ(dense("[-65520]", &v, 10, 65520.0f).error, TextError::kOutOfRange);
}

TextParse sparse(const std::string& text, std::vector<int32_t>* idx, std::vector<float>* val, int max_nnz = 16000) {
  const size_t capacity = static_cast<size_t>(count_commas(text.c_str())) + 1;
  idx->assign(capacity, -1);
  val->assign(capacity, -99.0f);
  TextParse r = parse_sparse_text(text.c_str(), idx->data(), val->data(), max_nnz, 1000000000);
  if (r.error == TextError::kNone) idx->resize(static_cast<size_t>(r.count)), val->resize(static_cast<size_t>(r.count));
  return r;
}

TEST(SparseText, ParsesToZeroBasedIndicesAndDropsZeros) {
  std::vector<int32_t> idx;
  std::vector<float> val;
  const TextParse r = sparse(" { 1 : 1.5 , 3:0, 5:-2 } / 7 ", &idx, &val);
  ASSERT_EQ(r.error, TextError::kNone);
  EXPECT_EQ(r.dimensions, 7);
  EXPECT_EQ(idx, (std::vector<int32_t>{0, 4}));
  EXPECT_EQ(val, (std::vector<float>{1.5f, -2.0f}));
  ASSERT_EQ(sparse("{}/3", &idx, &val).error, TextError::kNone);
  EXPECT_TRUE(idx.empty());
}

TEST(SparseText, ReportsEachError) {
  std::vector<int32_t> idx;
  std::vector<float> val;
  const std::pair<const char*, TextError> cases[] = {
      {"{0:1}/3", TextError::kIndexOutOfRange},     {"{4:1}/3", TextError::kIndexOutOfRange},
      {"{2:1,1:1}/3", TextError::kIndexNotAscending}, {"{1:1,1:2}/3", TextError::kIndexDuplicate},
      {"{1:1}", TextError::kSyntax},                {"{1:1}/0", TextError::kTooFewDimensions},
      {"{}/1000000001", TextError::kTooManyDimensions}, {"{}/99999999999999999999", TextError::kTooManyDimensions},
      {"{1:1}/3 x", TextError::kJunkAfterEnd},      {"{1:1e-46}/3", TextError::kOutOfRange},
      {"{1:nan}/3", TextError::kNaN},               {"{1:}/3", TextError::kSyntax},
      {"{:1}/3", TextError::kSyntax},               {"[1]", TextError::kSyntax},
  };
  for (const auto& c : cases) EXPECT_EQ(sparse(c.first, &idx, &val).error, c.second) << c.first;
  EXPECT_EQ(sparse("{1:1,2:2,3:3}/3", &idx, &val, 2).error, TextError::kTooManyElements);
}

}  // namespace
}  // namespace piramid
