#include "common/logging/logging.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lianfang::logging {
namespace {

// The process-wide sink (see the header for why this state is global). Leaked on purpose so
// that logging from static destructors and detached threads at exit stays safe.
struct State {
  absl::Mutex mu;
  std::string service ABSL_GUARDED_BY(mu);
  std::function<void(absl::string_view)> sink ABSL_GUARDED_BY(mu);
  std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
};

State& GetState() {
  static State* const state = new State();
  return *state;
}

// Writes all of `data` to stderr. One write(2) suffices for any realistic line (pipes take up
// to PIPE_BUF bytes atomically, files and terminals take the whole buffer); the loop only
// finishes a partial write after a signal or a full pipe, which callers serialise anyway.
void WriteToStderr(absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report a failure to log.
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

bool IsStandardKey(absl::string_view key) {
  return key == "time" || key == "level" || key == "service" || key == "method" ||
         key == "request_id" || key == "message";
}

void AppendField(std::string* out, absl::string_view key, absl::string_view value) {
  absl::StrAppend(out, ",\"", JsonEscape(key), "\":\"", JsonEscape(value), "\"");
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid (overlong
// forms, surrogates and code points above U+10FFFF are invalid, as RFC 3629 says).
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warning" || lower == "warn") return Level::kWarning;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", text, "\": use debug, info, warning or error"));
}

void SetService(absl::string_view service) {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  state.service = std::string(service);
}

void SetMinLevel(Level level) {
  GetState().min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

Level MinLevel() {
  return static_cast<Level>(GetState().min_level.load(std::memory_order_relaxed));
}

void SetSink(std::function<void(absl::string_view line)> sink) {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  state.sink = std::move(sink);
}

std::string JsonEscape(absl::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(text, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out;
}

std::string FormatLine(
    int64_t unix_millis, Level level, absl::string_view message, const Context& ctx,
    std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  std::string service;
  {
    State& state = GetState();
    absl::MutexLock lock(&state.mu);
    service = state.service;
  }
  std::string line;
  line.reserve(160 + message.size());
  absl::StrAppend(&line, "{\"time\":\"",
                  absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_millis),
                                   absl::UTCTimeZone()),
                  "\",\"level\":\"", LevelName(level), "\"");
  if (!service.empty()) AppendField(&line, "service", service);
  if (!ctx.method.empty()) AppendField(&line, "method", ctx.method);
  if (!ctx.request_id.empty()) AppendField(&line, "request_id", ctx.request_id);
  AppendField(&line, "message", message);
  for (const auto& [key, value] : fields) {
    if (IsStandardKey(key)) {
      AppendField(&line, absl::StrCat("field_", key), value);
    } else {
      AppendField(&line, key, value);
    }
  }
  line += '}';
  return line;
}

void Log(Level level, absl::string_view message, const Context& ctx,
         std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  State& state = GetState();
  if (static_cast<int>(level) < state.min_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatLine(absl::ToUnixMillis(absl::Now()), level, message, ctx, fields);
  // Serialise the sink calls: the default sink's single write() already keeps lines whole,
  // but a test sink appending to a vector needs the lock, and one lock keeps both simple.
  absl::MutexLock lock(&state.mu);
  if (state.sink) {
    state.sink(line);
  } else {
    line += '\n';
    WriteToStderr(line);
  }
}

void Debug(absl::string_view message, const Context& ctx,
           std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  Log(Level::kDebug, message, ctx, fields);
}
void Info(absl::string_view message, const Context& ctx,
          std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  Log(Level::kInfo, message, ctx, fields);
}
void Warning(absl::string_view message, const Context& ctx,
             std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  Log(Level::kWarning, message, ctx, fields);
}
void Error(absl::string_view message, const Context& ctx,
           std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  Log(Level::kError, message, ctx, fields);
}

}  // namespace lianfang::logging
