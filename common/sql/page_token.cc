#include "common/sql/page_token.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace lianfang::sql {
namespace {

// Layout (before base64): version byte, value count, values, 4-byte checksum.
// A value is a tag byte then: nothing (NULL), a zigzag varint (int), 8 little-endian bytes
// (double), or a varint length and the bytes (text, bytes).
constexpr unsigned char kVersion = 1;
enum Tag : unsigned char { kNull = 0, kInt = 1, kDouble = 2, kText = 3, kBytes = 4 };
// Far more than any sort key needs; bounds the work a hostile token can cause.
constexpr size_t kMaxTokenBytes = 4096;

absl::Status BadToken() {
  return absl::InvalidArgumentError(
      "page_token is not valid: pass the next_page_token of the previous reply unchanged, with "
      "the same filters");
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(absl::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in->empty()) return false;
    const auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// FNV-1a over the scope and the payload: catches typos, truncation and cross-List reuse.
uint32_t Checksum(absl::string_view scope, absl::string_view payload) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](absl::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  };
  mix(scope);
  mix(absl::string_view("\0", 1));
  mix(payload);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace

absl::StatusOr<int> PageSize(int64_t requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError("page_size must not be negative");
  }
  if (requested == 0) return kDefaultPageSize;
  if (requested > kMaxPageSize) return kMaxPageSize;
  return static_cast<int>(requested);
}

std::string EncodePageToken(absl::string_view scope, std::span<const Value> key) {
  std::string payload;
  payload.push_back(static_cast<char>(kVersion));
  PutVarint(key.size(), &payload);
  for (const Value& v : key) {
    switch (v.type()) {
      case Value::Type::kNull:
        payload.push_back(static_cast<char>(kNull));
        break;
      case Value::Type::kInt: {
        payload.push_back(static_cast<char>(kInt));
        const int64_t n = v.AsInt();
        PutVarint((static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63), &payload);
        break;
      }
      case Value::Type::kDouble: {
        payload.push_back(static_cast<char>(kDouble));
        const double d = v.AsDouble();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(bits >> (8 * i)));
        break;
      }
      case Value::Type::kText:
      case Value::Type::kBytes: {
        payload.push_back(static_cast<char>(v.type() == Value::Type::kText ? kText : kBytes));
        const absl::string_view s = v.StringView();
        PutVarint(s.size(), &payload);
        payload.append(s.data(), s.size());
        break;
      }
    }
  }
  const uint32_t sum = Checksum(scope, payload);
  for (int i = 0; i < 4; ++i) payload.push_back(static_cast<char>(sum >> (8 * i)));
  return absl::WebSafeBase64Escape(payload);
}

std::string EncodePageToken(absl::string_view scope, std::initializer_list<Value> key) {
  return EncodePageToken(scope, std::span<const Value>(key.begin(), key.size()));
}

absl::StatusOr<std::vector<Value>> DecodePageToken(absl::string_view scope, absl::string_view token,
                                                   size_t arity) {
  std::vector<Value> key;
  if (token.empty()) return key;
  std::string raw;
  if (token.size() > kMaxTokenBytes || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() < 6) {
    return BadToken();
  }
  absl::string_view payload(raw.data(), raw.size() - 4);
  uint32_t sum = 0;
  for (int i = 0; i < 4; ++i) {
    sum |= static_cast<uint32_t>(static_cast<unsigned char>(raw[raw.size() - 4 + i])) << (8 * i);
  }
  if (sum != Checksum(scope, payload)) return BadToken();

  absl::string_view in = payload;
  if (static_cast<unsigned char>(in.front()) != kVersion) return BadToken();
  in.remove_prefix(1);
  uint64_t count = 0;
  if (!GetVarint(&in, &count) || count != arity) return BadToken();
  key.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (in.empty()) return BadToken();
    const auto tag = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    switch (tag) {
      case kNull:
        key.emplace_back();
        break;
      case kInt: {
        uint64_t z = 0;
        if (!GetVarint(&in, &z)) return BadToken();
        key.emplace_back(static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1)));
        break;
      }
      case kDouble: {
        if (in.size() < 8) return BadToken();
        uint64_t bits = 0;
        for (int b = 0; b < 8; ++b) {
          bits |= static_cast<uint64_t>(static_cast<unsigned char>(in[b])) << (8 * b);
        }
        in.remove_prefix(8);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        key.emplace_back(d);
        break;
      }
      case kText:
      case kBytes: {
        uint64_t size = 0;
        if (!GetVarint(&in, &size) || size > in.size()) return BadToken();
        std::string s(in.data(), size);
        in.remove_prefix(size);
        if (tag == kText) {
          key.emplace_back(std::move(s));
        } else {
          key.emplace_back(Bytes{std::move(s)});
        }
        break;
      }
      default:
        return BadToken();
    }
  }
  if (!in.empty()) return BadToken();
  return key;
}

std::string EncodeOffsetPageToken(absl::string_view scope, int64_t offset) {
  return EncodePageToken(scope, {Value(offset)});
}

absl::StatusOr<int64_t> DecodeOffsetPageToken(absl::string_view scope, absl::string_view token) {
  absl::StatusOr<std::vector<Value>> key = DecodePageToken(scope, token, 1);
  if (!key.ok()) return key.status();
  if (key->empty()) return 0;
  const Value& v = key->front();
  if (v.type() != Value::Type::kInt || v.AsInt() < 0) return BadToken();
  return v.AsInt();
}

}  // namespace lianfang::sql
