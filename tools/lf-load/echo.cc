// The echo baseline server and its child process (echo.h).
#include "tools/lf-load/echo.h"

#include <fcntl.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lianfang/load/v1/echo.grpc.pb.h"

extern char** environ;

namespace lianfang::load {
namespace {

class EchoService final : public v1::EchoService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const v1::EchoRequest* request,
                                 v1::EchoResponse* response) override {
    response->mutable_payload()->assign(
        static_cast<size_t>(std::clamp(request->response_bytes(), 0, 1 << 20)), 'x');
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int RunEchoServer(absl::string_view listen) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(std::string(listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  // The channel arguments of common/server/server.cc (ServiceServer::Start) with its defaults.
  builder.SetMaxReceiveMessageSize(4 * 1024 * 1024);
  builder.SetMaxSendMessageSize(4 * 1024 * 1024);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 1000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "lf-load echo-server: cannot listen on %s\n", std::string(listen).c_str());
    return 2;
  }
  std::string host(listen.substr(0, listen.rfind(':')));
  std::printf("listening %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  // End of stdin (the parent closed it or died) stops the server like a signal.
  std::thread watcher([] {
    char buf[256];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    kill(getpid(), SIGTERM);
  });
  watcher.detach();
  int sig = 0;
  sigwait(&signals, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return 0;
}

absl::StatusOr<std::unique_ptr<EchoChild>> EchoChild::Start(const std::string& self_binary) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return absl::UnavailableError("echo server: pipe failed");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return absl::UnavailableError("echo server: pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::string arg1 = "echo-server", arg2 = "--listen", arg3 = "127.0.0.1:0";
  char* argv[] = {const_cast<char*>(self_binary.c_str()), arg1.data(), arg2.data(), arg3.data(),
                  nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self_binary.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    return absl::UnavailableError(absl::StrCat("echo server: cannot start ", self_binary));
  }
  // One line, "listening HOST:PORT", within 30 s.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{.fd = out[0], .events = POLLIN, .revents = 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[128];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  absl::string_view view(line);
  if (!absl::ConsumePrefix(&view, "listening ") || view.find('\n') == absl::string_view::npos) {
    close(in[1]);
    waitpid(pid, nullptr, 0);
    return absl::UnavailableError("echo server: it did not report its address");
  }
  view = view.substr(0, view.find('\n'));
  return std::unique_ptr<EchoChild>(new EchoChild(pid, in[1], std::string(view)));
}

EchoChild::~EchoChild() {
  close(stdin_fd_);
  int status = 0;
  waitpid(pid_, &status, 0);
}

}  // namespace lianfang::load
