#include "common/sql/postgres_target.h"

#include <libpq-fe.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace lianfang::sql::internal {

absl::StatusOr<Target> ParseTarget(absl::string_view url) {
  Target target;
  target.url = std::string(url.data(), url.size());
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(target.url.c_str(), &err);
  if (parsed == nullptr) {
    if (err != nullptr) PQfreemem(err);
    // libpq's message may quote the URL (and its password): not echoed.
    return absl::InvalidArgumentError(
        "the PostgreSQL URL is malformed; expected "
        "postgresql://user[:password]@host[:port]/dbname[?param=value...]");
  }
  std::string host = "localhost";
  std::string port = "5432";
  std::string dbname;
  std::string user;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    const absl::string_view key = o->keyword;
    if (key == "host" || (key == "hostaddr" && host == "localhost")) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") dbname = o->val;
    if (key == "user") user = o->val;
    if (key == "password") target.password = o->val;
  }
  PQconninfoFree(parsed);
  if (dbname.empty()) dbname = user;
  // A multi-host URL lists hosts and ports in order (one port may serve every host):
  // "h1:p1,h2:p2/dbname".
  const std::vector<std::string> hosts = absl::StrSplit(host, ',');
  const std::vector<std::string> ports = absl::StrSplit(port, ',');
  for (size_t k = 0; k < hosts.size(); ++k) {
    std::string p = ports.size() == hosts.size() ? ports[k] : ports.front();
    if (p.empty()) p = "5432";
    absl::StrAppend(&target.description, k == 0 ? "" : ",", hosts[k], ":", p);
  }
  absl::StrAppend(&target.description, "/", dbname);
  return target;
}

std::string Scrub(const Target& target, absl::string_view message) {
  std::string text(message.data(), message.size());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  absl::StrReplaceAll({{"\n", " "}}, &text);
  if (!target.password.empty()) absl::StrReplaceAll({{target.password, "***"}}, &text);
  return text;
}

}  // namespace lianfang::sql::internal
