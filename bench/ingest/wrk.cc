#include "bench/ingest/wrk.h"

#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>


#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rhip::bench {
namespace {

// Runs argv (no shell) and returns its standard output; *cpu_seconds gets its CPU time.
absl::StatusOr<std::string> RunCapture(const std::vector<std::string>& argv, double* cpu_seconds) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  *cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(argv[0], " failed (status ", status, "): ", out));
  }
  return out;
}

}  // namespace

absl::StatusOr<WrkResult> RunWrk(const WrkOptions& options) {
  std::vector<std::string> argv = {"wrk",
                                   absl::StrCat("-t", options.threads),
                                   absl::StrCat("-c", options.connections),
                                   absl::StrCat("-d", options.seconds, "s"),
                                   "-s",
                                   RHIP_BENCH_DIR "/ingest/read_by_id.lua",
                                   options.url,
                                   "--"};
  if (!options.bearer_token.empty()) {
    argv.insert(argv.begin() + 1, {"-H", absl::StrCat("Authorization: Bearer ", options.bearer_token)});
  }
  argv.insert(argv.end(), options.script_args.begin(), options.script_args.end());
  WrkResult r;
  r.command = absl::StrJoin(argv, " ");
  auto out = RunCapture(argv, &r.cpu_seconds);
  if (!out.ok()) return out.status();
  size_t at = out->find("rhip-wrk ");
  if (at == std::string::npos) return absl::InternalError(absl::StrCat("no result from wrk: ", *out));
  long long requests = 0, duration_us = 0, p50_us = 0, p99_us = 0, non2xx = 0, errors = 0;
  if (sscanf(out->c_str() + at,
             "rhip-wrk requests=%lld duration_us=%lld p50_us=%lld p99_us=%lld non2xx=%lld "
             "socket_errors=%lld",
             &requests, &duration_us, &p50_us, &p99_us, &non2xx, &errors) != 6) {
    return absl::InternalError(absl::StrCat("cannot read wrk's result: ", out->substr(at)));
  }
  r.requests = requests;
  r.seconds = duration_us / 1e6;
  r.p50_ms = p50_us / 1e3;
  r.p99_ms = p99_us / 1e3;
  r.non2xx = non2xx;
  r.socket_errors = errors;
  return r;
}

}  // namespace rhip::bench
