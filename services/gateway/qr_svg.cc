#include "services/gateway/qr_svg.h"

#include <qrencode.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace lianfang::gateway {

absl::StatusOr<QrMatrix> EncodeQr(absl::string_view text) {
  if (text.empty() || text.size() > 256) {
    return absl::InvalidArgumentError("the text of a QR code must be 1..256 bytes");
  }
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), /*version=*/0, QR_ECLEVEL_M, QR_MODE_8,
                          /*casesensitive=*/1),
      &QRcode_free);
  if (code == nullptr || code->width <= 0) {
    return absl::InternalError("the QR code could not be generated");
  }
  QrMatrix matrix;
  matrix.width = code->width;
  matrix.dark.resize(static_cast<size_t>(code->width) * code->width);
  for (size_t i = 0; i < matrix.dark.size(); ++i) matrix.dark[i] = (code->data[i] & 1) != 0;
  return matrix;
}

absl::StatusOr<std::string> QrSvg(absl::string_view text) {
  absl::StatusOr<QrMatrix> matrix = EncodeQr(text);
  if (!matrix.ok()) return matrix.status();
  constexpr int kQuiet = 4;
  const int size = matrix->width + 2 * kQuiet;
  std::string path;
  for (int y = 0; y < matrix->width; ++y) {
    for (int x = 0; x < matrix->width; ++x) {
      if (matrix->dark[static_cast<size_t>(y) * matrix->width + x]) {
        absl::StrAppend(&path, "M", x + kQuiet, " ", y + kQuiet, "h1v1h-1z");
      }
    }
  }
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", size, " ", size,
      "\" width=\"", size * 8, "\" height=\"", size * 8,
      "\" shape-rendering=\"crispEdges\" data-modules=\"", matrix->width, "\">\n"
      "<rect width=\"", size, "\" height=\"", size, "\" fill=\"#fff\"/>\n"
      "<path fill=\"#000\" d=\"", path, "\"/>\n</svg>\n");
}

bool IsPlausiblePassCode(absl::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace lianfang::gateway
