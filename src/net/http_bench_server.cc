// A tiny server for load tests with wrk: answers every request with a short text body.
//   http_bench_server [port] [io_threads] [worker_threads]
// Serves until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "net/http_server.h"

int main(int argc, char** argv) {
  rhip::net::HttpServerOptions options;
  options.port = argc > 1 ? static_cast<uint16_t>(std::atoi(argv[1])) : 8080;
  options.io_threads = argc > 2 ? std::atoi(argv[2]) : 1;
  options.worker_threads = argc > 3 ? std::atoi(argv[3]) : 2;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by the server's threads

  auto server = rhip::net::HttpServer::Start(
      options,
      [](const rhip::net::HttpRequest&) {
        rhip::net::HttpResponse response;
        response.SetHeader("Content-Type", "text/plain");
        response.body = "ok\n";
        return response;
      },
      [](int status, std::string_view message) {
        rhip::net::HttpResponse response;
        response.status = status;
        response.body = std::string(message);
        return response;
      });
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("listening on port %u\n", (*server)->port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  (*server)->Stop();
  return 0;
}
