#include "core/testing/paths.h"
#include "tests/support/rhip_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/json.h"
#include "tests/support/http_client.h"

namespace rhip::testing {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path,
            const Env& env = {}) {
  pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    std::string bin = RhipBinary();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rhip-test-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p != nullptr ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

RhipProcess::RhipProcess(std::string data_dir, std::string db_url)
    : data_dir_(std::move(data_dir)), db_url_(std::move(db_url)) {
  log_path_ = data_dir_ + ".log";
  env_.emplace_back("RHIP_BOOTSTRAP_CLIENT", std::string(kTestClientId) + ":" + kTestClientSecret);
}

std::string FetchTestToken(HttpClient& client) {
  HttpResult r = client.Send("POST", "/auth/token",
                             std::string("grant_type=client_credentials&client_id=") +
                                 kTestClientId + "&client_secret=" + kTestClientSecret,
                             {{"Content-Type", "application/x-www-form-urlencoded"}});
  if (r.status != 200) return "";
  absl::StatusOr<json::Value> v = json::Parse(r.body);
  const std::string* token = v.ok() ? v->FindString("access_token") : nullptr;
  return token != nullptr ? *token : "";
}

bool AuthorizeTestClient(HttpClient& client) {
  std::string token = FetchTestToken(client);
  if (token.empty()) return false;
  client.SetDefaultHeader("Authorization", "Bearer " + token);
  return true;
}

RhipProcess::~RhipProcess() {
  if (pid_ > 0) Kill();
}

void RhipProcess::SetEnv(std::string name, std::string value) {
  env_.emplace_back(std::move(name), std::move(value));
}

bool RhipProcess::Start(std::vector<std::string> extra_args) {
  port_ = FreePort();
  std::vector<std::string> args = {"serve", "--data", data_dir_, "--listen",
                                   "127.0.0.1:" + std::to_string(port_)};
  if (!db_url_.empty()) {
    args.push_back("--db");
    args.push_back(db_url_);
  }
  for (std::string& a : extra_args) args.push_back(std::move(a));
  pid_ = Spawn(args, log_path_, env_);
  if (pid_ <= 0) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (ready_) {
      if (ready_(port_)) return true;
    } else if (HttpClient c("127.0.0.1", port_); c.Get("/healthz").status == 200) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return false;
}

int RhipProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void RhipProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int RunRhip(const std::vector<std::string>& args, std::string* output) {
  TempDir dir;
  std::string log = dir.path() + "/out.log";
  pid_t pid = Spawn(args, log);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  *output = ss.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace rhip::testing
