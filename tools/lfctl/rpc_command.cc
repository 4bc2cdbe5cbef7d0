#include "tools/lfctl/rpc_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging/logging.h"
#include "google/protobuf/descriptor.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/money.h"
#include "tools/lfctl/output.h"
#include "tools/lfctl/progress.h"

namespace lianfang::lfctl {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

bool IsDateField(const FieldDescriptor& field) {
  const std::string& name = field.name();
  return name == "date" || absl::EndsWith(name, "_date") || absl::EndsWith(name, "_on");
}

const EnumValueDescriptor* ParseEnum(const EnumDescriptor& type, absl::string_view text) {
  const std::string wanted = absl::StrReplaceAll(
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(text)), {{"_", "-"}, {" ", "-"}});
  for (int i = 1; i < type.value_count(); ++i) {
    const EnumValueDescriptor* value = type.value(i);
    if (EnumLabel(*value, Lang::kEn) == wanted ||
        absl::AsciiStrToLower(value->name()) == absl::StrReplaceAll(wanted, {{"-", "_"}}) ||
        EnumLabel(*value, Lang::kZh) == text) {
      return value;
    }
  }
  return nullptr;
}

std::string EnumChoices(const EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 1; i < type.value_count(); ++i)
    names.push_back(EnumLabel(*type.value(i), Lang::kEn));
  return absl::StrJoin(names, ", ");
}

std::optional<bool> ParseBool(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "true" || t == "yes" || t == "y" || t == "1" || t == "是") return true;
  if (t == "false" || t == "no" || t == "n" || t == "0" || t == "否" || t.empty()) return false;
  return std::nullopt;
}

absl::StatusOr<absl::Time> ParseTimeText(absl::string_view text, const absl::TimeZone& tz,
                                         absl::Time now) {
  const std::string t(absl::StripAsciiWhitespace(text));
  absl::Duration offset;
  if ((absl::StartsWith(t, "+") || absl::StartsWith(t, "-")) &&
      absl::ParseDuration(t.substr(1), &offset)) {
    return absl::StartsWith(t, "+") ? now + offset : now - offset;
  }
  absl::Time result;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, t, &result, &error)) return result;
  for (const char* format : {"%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, t, tz, &result, &error)) return result;
  }
  return absl::InvalidArgumentError(
      "not a time; use e.g. 2026-03-01T08:00:00+08:00, \"2026-03-01 08:00\" or +2h");
}

// Sets (or, for repeated fields, adds) one value.
absl::Status PutValue(Message* message, const FieldDescriptor& field, absl::string_view text,
                      const absl::TimeZone& tz, absl::Time now) {
  const Reflection* r = message->GetReflection();
  const bool add = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value(text);
      if (IsDateField(field)) {
        const std::string lower = absl::AsciiStrToLower(value);
        if (lower == "today" || value == "今天") value = absl::FormatTime("%Y-%m-%d", now, tz);
        if (lower == "yesterday" || value == "昨天") {
          value = absl::FormatTime("%Y-%m-%d", now - absl::Hours(24), tz);
        }
      }
      add ? r->AddString(message, &field, value) : r->SetString(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError("not a whole number");
      add ? r->AddInt32(message, &field, v) : r->SetInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError("not a whole number");
      add ? r->AddInt64(message, &field, v) : r->SetInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError("not a whole number");
      add ? r->AddUInt32(message, &field, v) : r->SetUInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError("not a whole number");
      add ? r->AddUInt64(message, &field, v) : r->SetUInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return absl::InvalidArgumentError("not a number");
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        add ? r->AddFloat(message, &field, static_cast<float>(v))
            : r->SetFloat(message, &field, static_cast<float>(v));
      } else {
        add ? r->AddDouble(message, &field, v) : r->SetDouble(message, &field, v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      std::optional<bool> v = ParseBool(text);
      if (!v.has_value()) return absl::InvalidArgumentError("expected yes or no");
      add ? r->AddBool(message, &field, *v) : r->SetBool(message, &field, *v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = ParseEnum(*field.enum_type(), text);
      if (v == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("use one of ", EnumChoices(*field.enum_type())));
      }
      add ? r->AddEnum(message, &field, v) : r->SetEnum(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (field.message_type()->full_name() != "google.protobuf.Timestamp" || add) break;
      absl::StatusOr<absl::Time> t = ParseTimeText(text, tz, now);
      if (!t.ok()) return t.status();
      Message* ts = r->MutableMessage(message, &field);
      const Descriptor* d = ts->GetDescriptor();
      const absl::Duration since_epoch = *t - absl::UnixEpoch();
      const int64_t seconds = absl::ToInt64Seconds(since_epoch);
      ts->GetReflection()->SetInt64(ts, d->FindFieldByName("seconds"), seconds);
      ts->GetReflection()->SetInt32(
          ts, d->FindFieldByName("nanos"),
          static_cast<int32_t>(absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(seconds))));
      return absl::OkStatus();
    }
  }
  return absl::InternalError(absl::StrCat("field ", field.name(), " cannot be set from text"));
}

std::string FamilyUsage(const std::string& name, const std::string& summary,
                        const std::vector<RpcSpec>& specs) {
  std::string usage = absl::StrCat("lfctl ", name, " - ", summary, "\n\nUsage: lfctl ", name,
                                   " <subcommand> [flags]\n\nSubcommands:\n");
  size_t width = 0;
  for (const RpcSpec& s : specs) width = std::max(width, s.name.size());
  for (const RpcSpec& s : specs) {
    absl::StrAppend(&usage, "  ", s.name, std::string(width - s.name.size() + 2, ' '), s.summary,
                    "\n");
  }
  absl::StrAppend(&usage, "\nRun `lfctl ", name, " <subcommand> --help` for its flags.\n");
  return usage;
}

// The response, following next_page_token when `all` (rows merged into the first page).
absl::StatusOr<std::unique_ptr<Message>> CallAll(const Session& session, const RpcSpec& spec,
                                                 Message* request, bool all) {
  std::unique_ptr<Progress> progress;
  if (!spec.progress.empty()) {
    progress = std::make_unique<Progress>(session.io().err, session.progress(), spec.progress);
    progress->StartTicker();
  }
  // A long operation (one with a progress line) gets at least two minutes.
  const absl::Duration deadline =
      spec.progress.empty() ? session.timeout() : std::max(session.timeout(), absl::Minutes(2));
  absl::StatusOr<std::unique_ptr<Message>> first =
      session.Call(spec.service, spec.method, *request, deadline);
  if (!first.ok() || !all) return first;
  const FieldDescriptor* next = (*first)->GetDescriptor()->FindFieldByName("next_page_token");
  const FieldDescriptor* token = request->GetDescriptor()->FindFieldByName("page_token");
  if (next == nullptr || token == nullptr) return first;
  std::string next_token = (*first)->GetReflection()->GetString(**first, next);
  // A bound on pages: 500 pages of up to 500 rows is far more than any list lfctl shows.
  for (int page = 0; !next_token.empty() && page < 500; ++page) {
    request->GetReflection()->SetString(request, token, next_token);
    absl::StatusOr<std::unique_ptr<Message>> more =
        session.Call(spec.service, spec.method, *request);
    if (!more.ok()) return more.status();
    (*first)->MergeFrom(**more);  // appends the rows; the last page's token (empty) wins
    next_token = (*more)->GetReflection()->GetString(**more, next);
    (*first)->GetReflection()->SetString(first->get(), next, next_token);
  }
  return first;
}

int RunStream(const Session& session, const RpcSpec& spec, const Message& request,
              StreamLimits& limits) {
  if (absl::Status s = limits.Resolve(); !s.ok()) return session.UsageError(s);
  const int64_t count = limits.count;
  const CommandIo& io = session.io();
  int64_t seen = 0;
  if (!session.json()) {
    std::vector<std::string> headers;
    for (const std::string& c : spec.columns) headers.push_back(Label(c, session.lang()));
    io.out << absl::StrJoin(headers, "  ") << "\n" << std::flush;
  }
  absl::Status status = session.Stream(
      spec.service, spec.method, request,
      [&](const Message& message) {
        if (session.json()) {
          io.out << ToJson(message) << "\n";
        } else {
          std::vector<std::string> cells;
          for (const std::string& c : spec.columns) {
            cells.push_back(FormatPath(message, c, session.lang(), session.tz()));
          }
          io.out << absl::StrJoin(cells, "  ") << "\n";
        }
        io.out << std::flush;
        ++seen;
        return count == 0 || seen < count;
      },
      limits.duration);
  if (!status.ok()) return session.Fail(status);
  return kExitOk;
}

int RunSpec(const std::string& command, const RpcSpec& spec, const std::vector<std::string>& args,
            const CommandIo& io) {
  Session session(command, io);
  FlagSet flags(command);
  std::map<std::string, std::string> strings;  // node-based: addresses stay valid
  std::map<std::string, bool> bools;
  for (const FlagSpec& f : spec.flags) {
    if (f.value_name.empty()) {
      flags.AddBool(f.flag, f.help, &bools[f.flag]);
    } else if (f.repeatable) {
      flags.AddRepeatable(f.flag, f.value_name,
                          f.required ? absl::StrCat(f.help, " (required)") : f.help,
                          &strings[f.flag]);
    } else {
      flags.AddString(f.flag, f.value_name,
                      f.required ? absl::StrCat(f.help, " (required)") : f.help, &strings[f.flag]);
    }
  }
  std::unique_ptr<Message> request = session.NewRequest(spec.service, spec.method);
  if (request == nullptr) {
    io.err << command << ": this build does not know " << spec.method << "\n";
    return kExitFailure;
  }
  const Descriptor* type = request->GetDescriptor();
  const FieldDescriptor* request_id_field = type->FindFieldByName("request_id");
  const FieldDescriptor* page_size_field = type->FindFieldByName("page_size");
  const FieldDescriptor* page_token_field = type->FindFieldByName("page_token");
  std::string request_id, page_size, page_token;
  StreamLimits limits;
  bool all = false;
  if (request_id_field != nullptr) {
    flags.AddString("request-id", "ID",
                    "idempotency key: a retry with the same id has no second effect "
                    "(default: a new id)",
                    &request_id);
  }
  if (page_token_field != nullptr) {
    flags.AddString("page-size", "N", "rows per page (default 50, at most 500)", &page_size);
    flags.AddString("page-token", "TOKEN", "continue from a previous page", &page_token);
    flags.AddBool("all", "follow every page", &all);
  }
  if (spec.stream) limits.AddFlags(&flags, "messages");
  session.AddFlags(&flags);
  if (std::optional<int> done =
          session.ParseFlags(flags, args, absl::StrCat(command, " - ", spec.summary))) {
    return *done;
  }

  for (const std::vector<std::string>& group : spec.exactly_one_of) {
    std::vector<std::string> shown;
    int given = 0;
    for (const std::string& flag : group) {
      shown.push_back(absl::StrCat("--", flag));
      if (flags.WasSet(flag)) ++given;
    }
    if (given != 1) {
      return session.UsageError(absl::InvalidArgumentError(
          absl::StrCat(absl::StrJoin(shown, ", "), ": give exactly one of them")));
    }
  }

  const absl::Time now = absl::Now();
  std::map<std::string, std::string> field_names;
  RpcRun run{.session = session, .locals = {}};
  for (const FlagSpec& f : spec.flags) {
    const std::string shown = absl::StrCat("--", f.flag);
    const bool set = flags.WasSet(f.flag);
    if (f.required && !set) {
      return session.UsageError(absl::InvalidArgumentError(absl::StrCat(shown, ": required")));
    }
    std::string value = f.value_name.empty() ? (bools[f.flag] ? "true" : "false")
                                             : (set ? strings[f.flag] : f.default_value);
    if (f.field.empty()) {
      run.locals[f.flag] = value;
      continue;
    }
    field_names[f.field] = shown;
    // The service reports nested fields by their path; a path below the request's first level
    // may also be reported relative to its message ("site_id" for "household.site_id").
    const size_t dot = f.field.find('.');
    if (dot != std::string::npos) field_names.emplace(f.field.substr(dot + 1), shown);
    if (!set && value.empty()) continue;
    if (f.value_name.empty() && !set) continue;
    if (f.convert != nullptr) {
      absl::StatusOr<std::string> converted = f.convert(value);
      if (!converted.ok()) {
        return session.UsageError(
            absl::InvalidArgumentError(absl::StrCat(shown, ": ", converted.status().message())));
      }
      value = *std::move(converted);
    }
    if (absl::Status s = SetFieldFromText(request.get(), f.field, value, session.tz(), now);
        !s.ok()) {
      return session.UsageError(absl::InvalidArgumentError(absl::StrCat(shown, ": ", s.message())));
    }
  }
  if (request_id_field != nullptr) {
    field_names["request_id"] = "--request-id";
    request->GetReflection()->SetString(request.get(), request_id_field,
                                        request_id.empty() ? Session::NewRequestId() : request_id);
  }
  if (page_token_field != nullptr) {
    field_names["page_token"] = "--page-token";
    field_names["page_size"] = "--page-size";
    request->GetReflection()->SetString(request.get(), page_token_field, page_token);
    if (!page_size.empty() && page_size_field != nullptr) {
      if (absl::Status s =
              SetFieldFromText(request.get(), "page_size", page_size, session.tz(), now);
          !s.ok()) {
        return session.UsageError(
            absl::InvalidArgumentError(absl::StrCat("--page-size: ", s.message())));
      }
    }
  }

  if (spec.stream) return RunStream(session, spec, *request, limits);

  absl::StatusOr<std::unique_ptr<Message>> response = CallAll(session, spec, request.get(), all);
  if (!response.ok()) return session.Fail(response.status(), field_names);
  if (spec.output) return spec.output(run, **response);
  if (session.json()) {
    io.out << ToJson(**response) << "\n";
    return kExitOk;
  }
  if (spec.rows.empty()) {
    PrintMessage(io.out, **response, spec.columns, session.lang(), session.tz());
    return kExitOk;
  }
  PrintRows(io.out, RowsOf(**response, spec.rows), spec.columns, session.lang(), session.tz());
  const std::string next = FormatPath(**response, "next_page_token", session.lang(), session.tz());
  if (!next.empty()) io.err << "more rows: add --page-token " << next << " (or --all)\n";
  return kExitOk;
}

}  // namespace

absl::Status SetFieldFromText(Message* message, absl::string_view path, absl::string_view text,
                              const absl::TimeZone& tz, absl::Time now) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  Message* current = message;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->is_repeated()) {
      return absl::InternalError(absl::StrCat("no field ", path));
    }
    current = current->GetReflection()->MutableMessage(current, field);
  }
  const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(parts.back());
  if (field == nullptr) return absl::InternalError(absl::StrCat("no field ", path));
  if (!field->is_repeated()) return PutValue(current, *field, text, tz, now);
  current->GetReflection()->ClearField(current, field);
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    if (absl::Status s = PutValue(current, *field, absl::StripAsciiWhitespace(item), tz, now);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void StreamLimits::AddFlags(FlagSet* flags, absl::string_view what) {
  flags->AddString("count", "N",
                   absl::StrCat("stop after N ", what, " (default: run until interrupted)"),
                   &count_text);
  flags->AddString("for", "DURATION", "stop after this long, e.g. 10m", &for_text);
}

absl::Status StreamLimits::Resolve() {
  if (!count_text.empty() && (!absl::SimpleAtoi(count_text, &count) || count <= 0)) {
    return absl::InvalidArgumentError("--count: a positive whole number");
  }
  if (!for_text.empty() &&
      (!absl::ParseDuration(for_text, &duration) || duration <= absl::ZeroDuration())) {
    return absl::InvalidArgumentError("--for: a positive duration, e.g. 5m");
  }
  return absl::OkStatus();
}

std::vector<FlagSpec> PersonFlags(absl::string_view field, bool required) {
  return {
      {"id-number", absl::StrCat(field, ".id_number"), "ID", "18-character resident ID number",
       required},
      {"name", absl::StrCat(field, ".name"), "NAME", "the person's name, e.g. 王芳", required},
      {"phone", absl::StrCat(field, ".phone"), "PHONE", "mobile phone number", false},
  };
}

FlagSpec YuanFlag(std::string flag, std::string field, std::string help, bool required) {
  return FlagSpec{.flag = std::move(flag),
                  .field = std::move(field),
                  .value_name = "YUAN",
                  .help = std::move(help),
                  .required = required,
                  .default_value = {},
                  .convert = [](absl::string_view text) -> absl::StatusOr<std::string> {
                    absl::StatusOr<int64_t> fen = ParseYuanToFen(text);
                    if (!fen.ok()) return fen.status();
                    return absl::StrCat(*fen);
                  }};
}

int WriteExportedFile(const RpcRun& run, const Message& response) {
  const Session& s = run.session;
  const Descriptor* d = response.GetDescriptor();
  const Reflection* r = response.GetReflection();
  const std::string content = r->GetString(response, d->FindFieldByName("content"));
  const std::string filename = r->GetString(response, d->FindFieldByName("filename"));
  auto found = run.locals.find("out");
  const std::string out = found == run.locals.end() ? "" : found->second;
  if (out.empty() || out == "-") {
    s.io().out << content;
    return kExitOk;
  }
  const std::string temp = absl::StrCat(out, ".tmp-", ::getpid());
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << content;
    file.close();
    if (!file) {
      std::remove(temp.c_str());
      s.io().err << s.command() << ": --out: cannot write " << out << "\n";
      return kExitFailure;
    }
  }
  if (std::rename(temp.c_str(), out.c_str()) != 0) {
    std::remove(temp.c_str());
    s.io().err << s.command() << ": --out: cannot write " << out << "\n";
    return kExitFailure;
  }
  if (s.json()) {
    s.io().out << "{\"path\":\"" << logging::JsonEscape(out) << "\",\"filename\":\""
               << logging::JsonEscape(filename) << "\",\"bytes\":" << content.size() << "}\n";
  } else {
    s.io().out << out << " (" << content.size() << " bytes; " << filename << ")\n";
  }
  return kExitOk;
}

Command MakeFamily(std::string name, std::string summary, std::vector<RpcSpec> specs) {
  const bool single = specs.size() == 1 && specs[0].name.empty();
  Command command{.name = name, .summary = summary, .run = nullptr};
  command.run = [name, summary, specs = std::move(specs), single](
                    const std::vector<std::string>& args, const CommandIo& io) -> int {
    if (single) return RunSpec(absl::StrCat("lfctl ", name), specs[0], args, io);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      const std::string usage = FamilyUsage(name, summary, specs);
      if (args.empty()) {
        io.err << "lfctl " << name << ": missing subcommand\n\n" << usage;
        return kExitUsage;
      }
      io.out << usage;
      return kExitOk;
    }
    for (const RpcSpec& spec : specs) {
      if (spec.name == args[0]) {
        return RunSpec(absl::StrCat("lfctl ", name, " ", spec.name), spec,
                       std::vector<std::string>(args.begin() + 1, args.end()), io);
      }
    }
    // A group ("item" of "item create", "item list"): its second word picks the subcommand.
    std::vector<RpcSpec> group;
    for (const RpcSpec& spec : specs) {
      if (absl::StartsWith(spec.name, absl::StrCat(args[0], " "))) {
        RpcSpec member = spec;
        member.name = spec.name.substr(args[0].size() + 1);
        group.push_back(std::move(member));
      }
    }
    if (!group.empty()) {
      const std::string group_name = absl::StrCat(name, " ", args[0]);
      return MakeFamily(group_name, summary, std::move(group))
          .run(std::vector<std::string>(args.begin() + 1, args.end()), io);
    }
    io.err << "lfctl " << name << ": unknown subcommand \"" << args[0].substr(0, 40) << "\"\n\n"
           << FamilyUsage(name, summary, specs);
    return kExitUsage;
  };
  return command;
}

}  // namespace lianfang::lfctl
