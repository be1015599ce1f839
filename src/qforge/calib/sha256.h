// SHA-256 (FIPS 180-4) of a file's bytes: the calibration file's identity recorded in a quantized
// model's metadata ("qforge.calibration.sha256"), so eval can tell whether the file it checks for
// leakage is the one quantize used.
#pragma once

#include <string>
#include <string_view>

namespace qforge::calib {

// Lowercase hex digest (64 characters).
std::string Sha256Hex(std::string_view bytes);

// Digest of a file's contents; throws Error naming the file when it cannot be read.
std::string Sha256File(const std::string& path);

}  // namespace qforge::calib
