#include "tools/lfctl/import_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/logging/logging.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "tools/lfctl/csv.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/output.h"
#include "tools/lfctl/progress.h"
#include "tools/lfctl/rpc_command.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {
namespace {

constexpr char kSummary[] = "import households, residents or users from a CSV file, row by row";

// A column of the CSV: the request field it fills and the headers accepted for it (English
// field name first, then the Chinese headers the working group's sheets use).
struct Column {
  std::string key;    // "site_id"
  std::string field;  // request field path; empty = used to find the household
  std::vector<std::string> headers;
  bool required = false;
};

const std::vector<Column>& HouseholdColumns() {
  static const auto* columns = new std::vector<Column>{
      {"site_id", "household.site_id", {"site_id", "site", "场所", "场所编号"}, true},
      {"building", "household.building", {"building", "楼栋", "楼号"}, true},
      {"unit", "household.unit", {"unit", "单元"}},
      {"room", "household.room", {"room", "房号", "门牌号"}, true},
      {"kind", "household.kind", {"kind", "类型", "房屋类型"}},
      {"landlord_name", "household.landlord_name", {"landlord_name", "房东", "房东姓名"}},
      {"landlord_phone", "household.landlord_phone", {"landlord_phone", "房东电话"}},
      {"surveyed", "surveyed", {"surveyed", "已摸排"}},
  };
  return *columns;
}

const std::vector<Column>& ResidentColumns() {
  static const auto* columns = new std::vector<Column>{
      {"household_id", "household_id", {"household_id", "户编号"}},
      {"site_id", "", {"site_id", "site", "场所", "场所编号"}},
      {"building", "", {"building", "楼栋", "楼号"}},
      {"unit", "", {"unit", "单元"}},
      {"room", "", {"room", "房号", "门牌号"}},
      {"name", "person.name", {"name", "姓名"}, true},
      {"id_number", "person.id_number", {"id_number", "身份证号", "身份证号码"}, true},
      {"phone", "person.phone", {"phone", "电话", "手机号", "联系电话"}},
      {"relation", "relation", {"relation", "关系", "与户主关系"}},
      {"is_tenant", "is_tenant", {"is_tenant", "tenant", "租户", "是否租户"}},
  };
  return *columns;
}

// The volunteer and guard sheets (CreateUser). Role, sites and team are converted by hand
// (ImportRow), the others through the request's fields.
const std::vector<Column>& UserColumns() {
  static const auto* columns = new std::vector<Column>{
      {"login", "login", {"login", "登录名", "账号", "用户名"}, true},
      {"display_name", "display_name", {"display_name", "display name", "name", "姓名"}, true},
      {"role", "role", {"role", "角色"}, true},
      {"sites", "site_ids", {"sites", "site_ids", "站点", "场所"}},
      {"team", "team_id", {"team", "team_id", "队伍", "突击队"}},
      {"phone", "phone", {"phone", "电话", "手机号", "联系电话"}},
  };
  return *columns;
}

// Role words of the sheets beyond the glossary's labels (管理员, 领导小组, 门岗, 志愿者,
// 市委相关部门), which SetFieldFromText knows already.
std::string RoleText(absl::string_view text) {
  static const auto* extra = new std::map<std::string, std::string>{
      {"组长", "leader"}, {"领导", "leader"},    {"队长", "leader"},  {"门卫", "guard"},
      {"保安", "guard"},  {"队员", "volunteer"}, {"观察员", "viewer"}};
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  auto it = extra->find(trimmed);
  return it == extra->end() ? trimmed : it->second;
}

// "campus;village", "campus、village", "campus, village": the site ids of a cell.
std::vector<std::string> SplitSites(absl::string_view cell) {
  const std::string unified =
      absl::StrReplaceAll(cell, {{"、", ";"}, {"；", ";"}, {"，", ";"}, {",", ";"}, {"\n", ";"}});
  std::vector<std::string> sites;
  for (absl::string_view part : absl::StrSplit(unified, ';', absl::SkipWhitespace())) {
    sites.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return sites;
}

// Quotes one CSV cell (always, doubling quotes).
std::string CsvCell(absl::string_view value) {
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\"", "\"\""}}), "\"");
}

// 64-bit FNV-1a: a stable digest of a row for its request id (the same row of the same file
// gives the same id on every run, so a re-run replays instead of duplicating).
uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 1469598103934665603ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct RowFailure {
  int line;
  std::string error;
};

class Importer final {
 public:
  // `codes` (users only) receives the activation codes of the users created; not owned.
  Importer(const Session& session, std::string kind, std::string file, bool surveyed,
           std::FILE* codes = nullptr)
      : session_(session),
        kind_(std::move(kind)),
        file_(std::move(file)),
        surveyed_(surveyed),
        codes_(codes) {}

  int Run() {
    std::ifstream in(file_, std::ios::binary);
    if (!in) return Usage(absl::StrCat("--file: cannot read ", file_));
    std::stringstream content;
    content << in.rdbuf();
    absl::StatusOr<std::vector<CsvRow>> rows = ParseCsv(content.str());
    if (!rows.ok()) return Usage(absl::StrCat("--file: ", rows.status().message()));
    if (rows->empty()) return Usage("--file: the file is empty (expected a header line)");
    const std::vector<Column>& columns = kind_ == "households"  ? HouseholdColumns()
                                         : kind_ == "residents" ? ResidentColumns()
                                                                : UserColumns();
    // Which cell holds which column, from the header line.
    const CsvRow& header = rows->front();
    for (size_t i = 0; i < header.cells.size(); ++i) {
      const std::string cell = absl::AsciiStrToLower(header.cells[i]);
      for (const Column& c : columns) {
        for (const std::string& h : c.headers) {
          if (cell == absl::AsciiStrToLower(h) && !index_.count(c.key)) {
            index_[c.key] = i;
            shown_[c.key] = header.cells[i];
          }
        }
      }
    }
    for (const Column& c : columns) {
      if (c.required && !index_.count(c.key)) {
        return Usage(absl::StrCat("--file: no column ", c.key, " (or ",
                                  absl::StrJoin(c.headers.begin() + 1, c.headers.end(), ", "),
                                  ") in the header line"));
      }
    }
    if (kind_ == "residents" && !index_.count("household_id") &&
        !(index_.count("site_id") && index_.count("building") && index_.count("room"))) {
      return Usage(
          "--file: give household_id (户编号), or site_id, building and room (场所, 楼栋, 房号)");
    }
    for (const Column& c : columns) {
      if (!c.field.empty() && shown_.count(c.key)) field_names_[c.field] = shown_[c.key];
    }
    if (field_names_.count("household.site_id")) {
      field_names_["site_id"] = field_names_["household.site_id"];
      field_names_["building"] = field_names_["household.building"];
      field_names_["room"] = field_names_["household.room"];
    }

    const int total = static_cast<int>(rows->size()) - 1;
    Progress progress(session_.io().err, session_.progress(),
                      absl::StrCat("importing ", BaseName(file_)));
    int imported = 0;
    std::vector<RowFailure> failures;
    for (int i = 1; i <= total; ++i) {
      const CsvRow& row = (*rows)[i];
      std::optional<std::string> error = ImportRow(row, columns);
      if (error.has_value()) {
        failures.push_back({row.line, *error});
      } else {
        ++imported;
      }
      progress.Update(i, total);
    }
    progress.Finish();
    Summarize(total, imported, failures);
    return failures.empty() ? kExitOk : kExitFailure;
  }

 private:
  int Usage(const std::string& message) const {
    return session_.UsageError(absl::InvalidArgumentError(message));
  }

  std::string Cell(const CsvRow& row, const std::string& key) const {
    auto it = index_.find(key);
    if (it == index_.end() || it->second >= row.cells.size()) return "";
    return row.cells[it->second];
  }

  // Imports one row: exactly one mutating call, so the row is all or nothing. The error
  // ("身份证号: invalid check digit") or nullopt.
  std::optional<std::string> ImportRow(const CsvRow& row, const std::vector<Column>& columns) {
    const bool users = kind_ == "users";
    const Service service = users ? Service::kAccounts : Service::kSurvey;
    const std::string method = kind_ == "households"  ? "UpsertHousehold"
                               : kind_ == "residents" ? "RegisterResident"
                                                      : "CreateUser";
    std::unique_ptr<google::protobuf::Message> request = session_.NewRequest(service, method);
    for (const Column& c : columns) {
      std::string value = Cell(row, c.key);
      if (c.required && value.empty()) return absl::StrCat(shown_.at(c.key), ": empty");
      if (c.field.empty() || value.empty()) continue;
      if (users && c.key == "sites") {
        auto& create = static_cast<accounts::v1::CreateUserRequest&>(*request);
        for (std::string& site : SplitSites(value)) create.add_site_ids(std::move(site));
        continue;
      }
      if (users && c.key == "role") value = RoleText(value);
      if (absl::Status s =
              SetFieldFromText(request.get(), c.field, value, session_.tz(), absl::Now());
          !s.ok()) {
        return absl::StrCat(shown_.at(c.key), ": ", s.message());
      }
    }
    if (kind_ == "households" && surveyed_) {
      static_cast<survey::v1::UpsertHouseholdRequest&>(*request).set_surveyed(true);
    }
    if (kind_ == "residents" && Cell(row, "household_id").empty()) {
      absl::StatusOr<std::string> household = FindHousehold(row);
      if (!household.ok()) return std::string(household.status().message());
      static_cast<survey::v1::RegisterResidentRequest&>(*request).set_household_id(*household);
    }
    std::string digest_input = absl::StrCat(BaseName(file_), "\n", row.line);
    for (const std::string& cell : row.cells) absl::StrAppend(&digest_input, "\n", cell);
    const std::string request_id =
        absl::StrFormat("import-%s-%d-%016x", kind_, row.line, Fnv1a(digest_input));
    request->GetReflection()->SetString(
        request.get(), request->GetDescriptor()->FindFieldByName("request_id"), request_id);
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> reply =
        session_.Call(service, method, *request);
    if (!reply.ok()) return Session::Describe(reply.status(), field_names_);
    if (users) WriteCode(static_cast<const accounts::v1::User&>(**reply));
    return std::nullopt;
  }

  // Appends the user's activation code to the codes file (flushed at once, so a code is kept
  // even when a later row stops the import). A user created by an earlier run of the same
  // file comes back without a code: counted, not written.
  void WriteCode(const accounts::v1::User& user) {
    if (user.activation_code().empty()) {
      ++without_code_;
      return;
    }
    const std::string expires =
        user.has_activation_expires_at()
            ? absl::FormatTime("%Y-%m-%d %H:%M",
                               absl::FromUnixSeconds(user.activation_expires_at().seconds()),
                               session_.tz())
            : "";
    const std::string line = absl::StrCat(
        CsvCell(user.login()), ",", CsvCell(user.display_name()), ",", CsvCell(user.user_id()), ",",
        CsvCell(user.activation_code()), ",", CsvCell(expires), "\n");
    if (std::fputs(line.c_str(), codes_) < 0 || std::fflush(codes_) != 0) write_failed_ = true;
    ++codes_written_;
  }

  // The household at the row's address (site, building, unit, room), read from the survey
  // (cached per site and building).
  absl::StatusOr<std::string> FindHousehold(const CsvRow& row) {
    const std::string site = Cell(row, "site_id");
    const std::string building = Cell(row, "building");
    if (site.empty() || building.empty() || Cell(row, "room").empty()) {
      return absl::InvalidArgumentError(
          "no household: give household_id, or site_id, building and room");
    }
    const std::string cache_key = absl::StrCat(site, "\n", building);
    if (!households_.count(cache_key)) {
      std::vector<survey::v1::Household> found;
      survey::v1::ListHouseholdsRequest list;
      list.set_site_id(site);
      list.set_building(building);
      list.set_page_size(500);
      for (int page = 0; page < 100; ++page) {
        absl::StatusOr<std::unique_ptr<google::protobuf::Message>> reply =
            session_.Call(Service::kSurvey, "ListHouseholds", list);
        if (!reply.ok()) {
          return absl::Status(reply.status().code(),
                              Session::Describe(reply.status(), field_names_));
        }
        const auto& response = static_cast<const survey::v1::ListHouseholdsResponse&>(**reply);
        for (const auto& h : response.households()) found.push_back(h);
        if (response.next_page_token().empty()) break;
        list.set_page_token(response.next_page_token());
      }
      households_[cache_key] = std::move(found);
    }
    for (const survey::v1::Household& h : households_[cache_key]) {
      if (h.unit() == Cell(row, "unit") && h.room() == Cell(row, "room")) return h.household_id();
    }
    return absl::NotFoundError(
        "no household at this address; import the households first (lfctl import households)");
  }

  void Summarize(int total, int imported, const std::vector<RowFailure>& failures) const {
    const CommandIo& io = session_.io();
    if (session_.json()) {
      std::vector<std::string> items;
      for (const RowFailure& f : failures) {
        items.push_back(absl::StrFormat("{\"line\":%d,\"error\":\"%s\"}", f.line,
                                        logging::JsonEscape(f.error)));
      }
      const std::string codes =
          kind_ == "users" ? absl::StrFormat(",\"codes_written\":%d", codes_written_) : "";
      io.out << absl::StrFormat(
          "{\"file\":\"%s\",\"kind\":\"%s\",\"rows\":%d,\"imported\":%d,\"failed\":[%s]%s}\n",
          logging::JsonEscape(BaseName(file_)), kind_, total, imported, absl::StrJoin(items, ","),
          codes);
      return;
    }
    for (const RowFailure& f : failures) {
      io.err << BaseName(file_) << ":" << f.line << ": " << f.error << "\n";
    }
    io.out << absl::StrFormat("%s: %d of %d rows imported, %d failed\n", BaseName(file_), imported,
                              total, static_cast<int>(failures.size()));
    if (kind_ == "users") {
      io.out << absl::StrFormat(
          "%d activation codes written to the --codes-out file (valid 72 h; hand each to its "
          "user)\n",
          codes_written_);
      if (without_code_ > 0) {
        io.out << absl::StrFormat(
            "%d users were created by an earlier run and got no new code (lfctl user reset "
            "gives one)\n",
            without_code_);
      }
    }
  }

 public:
  bool write_failed() const { return write_failed_; }
  int codes_written() const { return codes_written_; }

 private:
  const Session& session_;
  const std::string kind_;
  const std::string file_;
  const bool surveyed_;
  std::FILE* const codes_;
  int codes_written_ = 0;
  int without_code_ = 0;
  bool write_failed_ = false;
  std::map<std::string, size_t> index_;             // column key -> cell index
  std::map<std::string, std::string> shown_;        // column key -> header as written in the file
  std::map<std::string, std::string> field_names_;  // request field -> header
  std::map<std::string, std::vector<survey::v1::Household>> households_;
};

int Run(const std::vector<std::string>& args, const CommandIo& io) {
  std::vector<std::string> words;
  std::string file;
  std::string codes_out;
  bool surveyed = false;
  FlagSet flags("lfctl import");
  flags.AllowPositional("households|residents|users", &words);
  flags.AddString("file", "X.csv", "the CSV file (UTF-8; see tools/lfctl/README.md)", &file);
  flags.AddBool("surveyed", "households: mark them visited now", &surveyed);
  flags.AddString("codes-out", "FILE",
                  "users (required): a new file (mode 0600) receiving the activation codes",
                  &codes_out);
  Session session("lfctl import", io);
  session.AddFlags(&flags);
  if (std::optional<int> done = session.ParseFlags(
          flags, args,
          absl::StrCat("lfctl import - ", kSummary,
                       "\nEach row is imported on its own (all or nothing); bad rows are "
                       "reported with their line\nnumbers and the others kept. Re-running a "
                       "file does not duplicate rows. Exit code 1 when\nany row failed. "
                       "Users: the activation codes go to --codes-out only."))) {
    return *done;
  }
  if (words.size() != 1 ||
      (words[0] != "households" && words[0] != "residents" && words[0] != "users")) {
    return session.UsageError(
        absl::InvalidArgumentError("say what to import: households, residents or users"));
  }
  if (file.empty()) return session.UsageError(absl::InvalidArgumentError("--file: required"));
  if (words[0] != "users") return Importer(session, words[0], file, surveyed).Run();
  // The activation codes go to a file only the sysadmin can read, never to stdout or stderr
  // (which end up in terminals' scrollback, logs and screenshots). A new file each run: an
  // existing one is neither overwritten nor appended to.
  if (codes_out.empty()) {
    return session.UsageError(absl::InvalidArgumentError(
        "--codes-out: required for users (a new file receiving the activation codes)"));
  }
  const int fd = ::open(codes_out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    return session.UsageError(absl::InvalidArgumentError(
        absl::StrCat("--codes-out: cannot create ", codes_out, ": ", std::strerror(error),
                     error == EEXIST ? " (give a new file; codes are written once)" : "")));
  }
  std::FILE* codes = ::fdopen(fd, "w");
  if (codes == nullptr) {
    ::close(fd);
    return session.UsageError(absl::InvalidArgumentError("--codes-out: cannot write"));
  }
  std::fputs("login,display_name,user_id,activation_code,activation_expires_at\n", codes);
  std::fflush(codes);
  Importer importer(session, words[0], file, surveyed, codes);
  int code = importer.Run();
  const bool closed = std::fclose(codes) == 0;
  // Nothing was attempted (a bad file): no codes file is left behind.
  if (code == kExitUsage && importer.codes_written() == 0) ::unlink(codes_out.c_str());
  if (!closed || importer.write_failed()) {
    session.io().err << "lfctl import: --codes-out: writing " << codes_out
                     << " failed; reset the users created (lfctl user reset)\n";
    code = kExitFailure;
  }
  return code;
}

}  // namespace

Command ImportCommand() { return Command{.name = "import", .summary = kSummary, .run = Run}; }

}  // namespace lianfang::lfctl
