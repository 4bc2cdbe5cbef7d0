// Structured logging for Lianfang: one JSON object per line on stderr.
//
//   {"time":"2026-11-28T12:00:00.123Z","level":"info","service":"gate",
//    "method":"/lianfang.gate.v1.GateService/RecordPassage","request_id":"r1",
//    "message":"passage recorded","site_id":"campus"}
//
// (shown wrapped; a real line is never wrapped). Keys come in that order: `time` (UTC, RFC 3339
// with milliseconds), `level` (debug|info|warning|error), `service`, `method`, `request_id`,
// `message`, then the extra string fields in the order given. `service`, `method` and
// `request_id` are left out when empty.
//
//   lianfang::logging::SetService("gate");                       // in main, before threads
//   lianfang::logging::Info("listening", {}, {{"address", addr}});
//   lianfang::logging::Warning("redis unreachable; counts will heal", {method, request_id});
//
// Log lines are read by operators and shipped to log stores: never put ID numbers, names,
// phone numbers, tokens, secrets or SQL in a message or a field.
//
// Why process-wide state: a log sink is the one thing every layer of a process writes to, and
// threading a logger through every constructor would add a parameter to every class for no
// testability gain (tests replace the sink with SetSink). The state is limited to the service
// name, the minimum level and the sink; everything else is injected as usual.
//
// Thread-safety: every function may be called from any thread. Each line reaches the sink in
// one call, and the default sink writes it (newline included) with a single write(2), so lines
// from concurrent threads never interleave.
#ifndef LIANFANG_COMMON_LOGGING_LOGGING_H_
#define LIANFANG_COMMON_LOGGING_LOGGING_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::logging {

enum class Level { kDebug, kInfo, kWarning, kError };

// "debug", "info", "warning" or "error".
absl::string_view LevelName(Level level);

// Parses "debug", "info", "warning" (or "warn"), "error", ignoring ASCII case.
// INVALID_ARGUMENT otherwise.
absl::StatusOr<Level> ParseLevel(absl::string_view text);

// The request a line belongs to. Both fields are optional (empty = not written). The views only
// need to stay valid for the duration of the Log call.
struct Context {
  absl::string_view method;      // full gRPC method name, e.g. "/lianfang.gate.v1.GateService/X"
  absl::string_view request_id;  // the client's request_id, when the request has one
};

// Sets the `service` field of every line ("gate", "survey", ...). Call once at start-up,
// before threads start; later calls are safe but racing lines may carry either name.
void SetService(absl::string_view service);

// Lines below `level` are dropped. The default is kInfo.
void SetMinLevel(Level level);
Level MinLevel();

// Replaces where lines go. The sink receives each complete line WITHOUT the trailing newline,
// one call per line; calls are serialised, so the sink need not be thread-safe. A null sink
// restores the default (stderr, one write(2) per line, newline appended). Meant for tests.
// The sink is called with an internal lock held: it must not log itself.
void SetSink(std::function<void(absl::string_view line)> sink);

// Writes one line if `level` >= the minimum level. `fields` are extra string fields written
// after `message`; a field whose key collides with a standard key is written as "field_<key>".
void Log(Level level, absl::string_view message, const Context& ctx = {},
         std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields = {});

void Debug(absl::string_view message, const Context& ctx = {},
           std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields = {});
void Info(absl::string_view message, const Context& ctx = {},
          std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields = {});
void Warning(absl::string_view message, const Context& ctx = {},
             std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields = {});
void Error(absl::string_view message, const Context& ctx = {},
           std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields = {});

// The body of a JSON string literal for `text` (without the surrounding quotes): `"` and `\`
// are escaped, control characters become \n, \r, \t, \b, \f or \u00XX (DEL too), valid UTF-8
// (Chinese text included) passes through unchanged, and bytes that are not valid UTF-8 become
// \ufffd so the output is always valid JSON.
std::string JsonEscape(absl::string_view text);

// Formats one line exactly as Log would write it (without the newline): at time `unix_millis`,
// with the service set by SetService. Exposed for tests and for tools that want the same
// format; ignores the minimum level.
std::string FormatLine(
    int64_t unix_millis, Level level, absl::string_view message, const Context& ctx,
    std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields);

}  // namespace lianfang::logging

#endif  // LIANFANG_COMMON_LOGGING_LOGGING_H_
