// lf-load's command line: parses the flags, prepares the workloads, runs the rounds (the echo
// baseline, then each workload, at the same concurrency and client threads), and prints the
// figures with their ratios to the echo of the same round (text, or JSON with --json).
#ifndef LIANFANG_TOOLS_LF_LOAD_LF_LOAD_H_
#define LIANFANG_TOOLS_LF_LOAD_LF_LOAD_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace lianfang::load {

// Runs lf-load with `args` (argv without the program name), reading settings missing from
// the flags from `getenv`. `self_binary` is this executable (started again as the echo
// server child). Returns the exit code: 0 when every round ran and no call failed, 1 when
// some calls failed, 2 for bad flags or a setup that failed.
int RunLoad(const std::vector<std::string>& args,
            const std::function<const char*(const char*)>& getenv, const std::string& self_binary,
            std::ostream& out, std::ostream& err);

}  // namespace lianfang::load

#endif  // LIANFANG_TOOLS_LF_LOAD_LF_LOAD_H_
