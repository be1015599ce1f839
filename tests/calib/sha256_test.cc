// SHA-256 against the FIPS 180-2 appendix test vectors and sha256sum.
#include "qforge/calib/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "support/paths.h"

namespace qforge::calib {
namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the padding needs a second block.
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileMatchesSha256sum) {
  // `sha256sum calib.txt` of the test bed's calibration file.
  EXPECT_EQ(Sha256File(test::Shared("models/testbed/calib.txt")),
            "c21853000b2b67ac39491dc66c89b267b1fbd5e22e1cc952c0655af176396535");
}

}  // namespace
}  // namespace qforge::calib
