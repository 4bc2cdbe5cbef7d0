#include "tools/lfctl/flags.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lianfang::lfctl {

FlagSet::FlagSet(std::string command) : command_(std::move(command)) {}

void FlagSet::AddString(std::string name, std::string value_name, std::string help,
                        std::string* target) {
  flags_.push_back(Flag{.name = std::move(name),
                        .value_name = std::move(value_name),
                        .help = std::move(help),
                        .string_target = target,
                        .bool_target = nullptr,
                        .set = false});
}

void FlagSet::AddRepeatable(std::string name, std::string value_name, std::string help,
                            std::string* target) {
  AddString(std::move(name), std::move(value_name), std::move(help), target);
  flags_.back().repeatable = true;
}

void FlagSet::AddBool(std::string name, std::string help, bool* target) {
  flags_.push_back(Flag{.name = std::move(name),
                        .value_name = "",
                        .help = std::move(help),
                        .string_target = nullptr,
                        .bool_target = target,
                        .set = false});
}

void FlagSet::AllowPositional(std::string usage, std::vector<std::string>* target) {
  positional_usage_ = std::move(usage);
  positional_ = target;
}

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

bool FlagSet::WasSet(absl::string_view name) const {
  return std::any_of(flags_.begin(), flags_.end(),
                     [&](const Flag& f) { return f.name == name && f.set; });
}

absl::StatusOr<bool> FlagSet::Parse(const std::vector<std::string>& args) {
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || !absl::StartsWith(arg, "-") || arg == "-") {
      if (positional_ == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument \"", arg.substr(0, 40), "\""));
      }
      positional_->push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") return true;
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat(arg.substr(0, 40), ": flags are written with two dashes, e.g. --role"));
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    Flag* flag = Find(name);
    const std::string shown = absl::StrCat("--", name.substr(0, 40));
    if (flag == nullptr) return absl::InvalidArgumentError(absl::StrCat(shown, ": unknown flag"));
    if (flag->set && !flag->repeatable) {
      return absl::InvalidArgumentError(absl::StrCat(shown, ": given twice"));
    }
    const bool again = flag->set;
    flag->set = true;
    if (flag->bool_target != nullptr) {
      if (eq == std::string::npos) {
        *flag->bool_target = true;
      } else {
        const std::string value = arg.substr(eq + 1);
        if (value == "true") {
          *flag->bool_target = true;
        } else if (value == "false") {
          *flag->bool_target = false;
        } else {
          return absl::InvalidArgumentError(absl::StrCat(shown, ": expected true or false"));
        }
      }
      continue;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(shown, ": missing value (", flag->value_name, ")"));
    }
    if (again) {
      absl::StrAppend(flag->string_target, ",", value);
    } else {
      *flag->string_target = std::move(value);
    }
  }
  return false;
}

std::string FlagSet::Usage(absl::string_view summary) const {
  std::string usage = absl::StrCat(summary, "\n\nUsage: ", command_, " [flags]");
  if (positional_ != nullptr) absl::StrAppend(&usage, " ", positional_usage_);
  absl::StrAppend(&usage, "\n\nFlags:\n");
  size_t width = 0;
  std::vector<std::string> heads;
  for (const Flag& flag : flags_) {
    heads.push_back(flag.value_name.empty() ? absl::StrCat("--", flag.name)
                                            : absl::StrCat("--", flag.name, " ", flag.value_name));
    width = std::max(width, heads.back().size());
  }
  for (size_t i = 0; i < flags_.size(); ++i) {
    absl::StrAppend(&usage, "  ", heads[i], std::string(width - heads[i].size() + 2, ' '),
                    flags_[i].help, "\n");
  }
  absl::StrAppend(&usage, "  --help", std::string(width > 6 ? width - 6 + 2 : 2, ' '),
                  "show this help\n");
  return usage;
}

}  // namespace lianfang::lfctl
