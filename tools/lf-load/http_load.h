// `lf-load http`: the gateway's HTTP side under load (Boost.Asio clients, one I/O thread).
//
//   lf-load http --mode passage --concurrency 64     # JSON API RecordPassage vs the same call
//                                                    # over gRPC to the gate, same run
//   lf-load http --mode streams --streams 5000       # N dashboard event streams; time from a
//                                                    # passage to its arrival on every stream
//   lf-load http --mode flood --slow 200 --idle 1000 # slow-header and idle keep-alive floods
//                                                    # while /healthz and GetOccupancy are
//                                                    # probed
//
// Settings: --http HOST:PORT (LF_HTTP_ADDR, default 127.0.0.1:8080), --gate HOST:PORT
// (LF_GATE_ADDR, 127.0.0.1:7101), --token (LF_TOKEN) or --jwt-secret-file
// (LF_JWT_SECRET_FILE; an admin token is minted), --site (campus), --gate-id (east),
// --duration (10s), --rounds (3), --sources N (spread connections over 127.0.0.1..N, for
// the per-address cap), --gateway-pid PID (its VmRSS is printed).
// Exit code: 0 when the run completed, 1 when calls failed or streams missed events, 2 for
// bad flags or an unreachable target.
#ifndef LIANFANG_TOOLS_LF_LOAD_HTTP_LOAD_H_
#define LIANFANG_TOOLS_LF_LOAD_HTTP_LOAD_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace lianfang::load {

// Runs `lf-load http` with `args` (after "http").
int RunHttpLoad(const std::vector<std::string>& args,
                const std::function<const char*(const char*)>& getenv, std::ostream& out,
                std::ostream& err);

}  // namespace lianfang::load

#endif  // LIANFANG_TOOLS_LF_LOAD_HTTP_LOAD_H_
