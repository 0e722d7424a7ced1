// The core's deliberate failures unwind cleanly: each kind throws what it promises and every probe object
// on the way is destroyed.
#include "piramid/error.h"
#include "piramid/error_probe.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

namespace piramid {
namespace {

TEST(ErrorProbe, EachKindThrowsAndUnwindsEveryFrame) {
  const auto noop = [] {};
  EXPECT_NO_THROW(fail_from_depth("none", 8, noop));
  EXPECT_THROW(fail_from_depth("invalid", 8, noop), Error);
  EXPECT_THROW(fail_from_depth("bad_alloc", 8, noop), std::bad_alloc);
  EXPECT_THROW(fail_from_depth("runtime", 8, noop), std::runtime_error);
  EXPECT_THROW(fail_from_depth("integer", 8, noop), int);
  EXPECT_THROW(fail_from_depth("callback", 8, [] { throw std::logic_error("from callback"); }), std::logic_error);
  try {
    fail_from_depth("bogus", 3, noop);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidParameter);
    EXPECT_NE(e.hint().find("callback"), std::string::npos);
  }
  EXPECT_EQ(live_error_probes(), 0);
}

}  // namespace
}  // namespace piramid
