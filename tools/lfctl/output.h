// How lfctl shows response messages: values formatted for people (Chinese labels by default,
// English with --lang en, times in the deployment's time zone), aligned tables that count a
// Chinese character as two columns, and the protobuf JSON mapping for scripts.
//
// A "path" names a value inside a message: "site_id", "passage.decision" (through singular
// message fields), or alternatives "name|name_masked" (the first non-empty one: the service
// returns full names to leaders and masks to others, and lfctl shows what it got).
// Functions here are pure and thread-safe.
#ifndef LIANFANG_TOOLS_LFCTL_OUTPUT_H_
#define LIANFANG_TOOLS_LFCTL_OUTPUT_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {

// The column label of `path` in `lang` (from the working group's glossary); the field name
// when the dictionary has none.
std::string Label(absl::string_view path, Lang lang);

// The short name of an enum value: DECISION_DENIED -> "denied" (en), or its Chinese label
// (拒绝) in zh. The same short names (any case, '-' or '_') are accepted as flag values.
std::string EnumLabel(const google::protobuf::EnumValueDescriptor& value, Lang lang);

// "是"/"否" or "yes"/"no".
std::string BoolLabel(bool value, Lang lang);

// The value at `path` of `message` as text: enums by EnumLabel, booleans by BoolLabel,
// timestamps as "YYYY-MM-DD HH:MM" in `tz` (empty when unset), doubles with one decimal,
// repeated fields joined by ",". Empty when the path does not resolve.
std::string FormatPath(const google::protobuf::Message& message, absl::string_view path, Lang lang,
                       const absl::TimeZone& tz);

// The message in protobuf's JSON mapping on one line, every field written out (a zero is a
// figure).
std::string ToJson(const google::protobuf::Message& message);

// The width of UTF-8 text on a terminal: East Asian wide characters count 2.
size_t DisplayWidth(absl::string_view text);

// `rows` under `headers`, columns aligned and separated by two spaces.
void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

// One record as "label  value" lines, labels aligned (for single results).
void PrintRecord(std::ostream& out, const std::vector<std::string>& labels,
                 const std::vector<std::string>& values);

// The repeated message field `field` of `message` as a list of rows, one per element
// (empty when there is no such field).
std::vector<const google::protobuf::Message*> RowsOf(const google::protobuf::Message& message,
                                                     absl::string_view field);

// Formats `columns` of each row (FormatPath) and prints them as a table with Label headers.
void PrintRows(std::ostream& out, const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<std::string>& columns, Lang lang, const absl::TimeZone& tz);

// Formats `columns` of `message` as a record (PrintRecord).
void PrintMessage(std::ostream& out, const google::protobuf::Message& message,
                  const std::vector<std::string>& columns, Lang lang, const absl::TimeZone& tz);

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_OUTPUT_H_
