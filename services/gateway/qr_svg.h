// QR codes of passes as SVG, generated on the server with libqrencode (Debian's
// libqrencode-dev), so the pages never need a script library or anything from the internet.
//
//   absl::StatusOr<std::string> svg = QrSvg("7KQ2M9XH4T");
//
// The pass code is encoded as text (alphanumeric mode when it fits, error correction level
// M); the SVG draws one square per dark module on a white background with a 4-module quiet
// zone, `viewBox="0 0 W W"` with W = modules + 8, and carries `data-modules="<modules>"`.
//
// Thread-safe (libqrencode is built with pthread support on Debian).
#ifndef LIANFANG_SERVICES_GATEWAY_QR_SVG_H_
#define LIANFANG_SERVICES_GATEWAY_QR_SVG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::gateway {

// The module matrix of `text` (row-major, true = dark) and its width. INVALID_ARGUMENT for
// empty text or text over 256 bytes; INTERNAL when libqrencode fails.
struct QrMatrix {
  int width = 0;
  std::vector<bool> dark;
};
absl::StatusOr<QrMatrix> EncodeQr(absl::string_view text);

// The SVG image of EncodeQr(text) (see above); the same errors.
absl::StatusOr<std::string> QrSvg(absl::string_view text);

// True when `code` may be a pass code: 1..64 characters of [0-9A-Za-z-]. Anything else is
// refused before it reaches the encoder or a log.
bool IsPlausiblePassCode(absl::string_view code);

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_QR_SVG_H_
