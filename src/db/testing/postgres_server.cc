#include "db/testing/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::db {
namespace {

namespace fs = std::filesystem;

constexpr int kStartAttempts = 3;  // a free port may be taken between probe and start

std::string BinDir() {
  const char* dir = std::getenv("RHIP_PG_BIN");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/lib/postgresql/15/bin";
}

std::string Tail(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  constexpr size_t kMax = 2000;
  return text.size() > kMax ? text.substr(text.size() - kMax) : text;
}

// Runs a PostgreSQL tool in `dir` with its output appended to dir/tools.log; as the
// `postgres` user when we are root, because initdb and postgres refuse to run as root.
absl::Status RunTool(const fs::path& dir, std::vector<std::string> argv) {
  const std::string tool = fs::path(argv[0]).filename().string();
  if (geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const std::string log = (dir / "tools.log").string();
  const std::string cwd = dir.string();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0 ||
        chdir(cwd.c_str()) != 0) {
      _exit(126);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(tool, " failed (wait status ", status, "):\n",
                                          Tail(log), Tail(dir / "server.log")));
}

absl::StatusOr<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (rc == 0) rc = getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot find a free port: ", std::strerror(errno)));
  return ntohs(addr.sin_port);
}

// Makes dir usable by the `postgres` user when we are root.
absl::Status GiveToPostgresUser(const fs::path& dir) {
  if (geteuid() != 0) return absl::OkStatus();
  const passwd* user = getpwnam("postgres");
  if (user == nullptr) {
    return absl::FailedPreconditionError("running as root needs a `postgres` OS user for initdb");
  }
  if (chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", dir.string(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start() {
  std::string pattern = (fs::temp_directory_path() / "rhip-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  // Owns the directory from here on: the destructor removes it if a later step fails.
  std::unique_ptr<PostgresTestServer> server(new PostgresTestServer(pattern, 0));
  const fs::path dir = server->dir_;
  const std::string bin = BinDir();
  RETURN_IF_ERROR(GiveToPostgresUser(dir));
  // --no-sync only skips initdb's own flush; the server below keeps fsync on.
  RETURN_IF_ERROR(RunTool(dir, {bin + "/initdb", "-D", (dir / "data").string(), "-A", "trust",
                                "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync",
                                "--no-instructions"}));
  absl::Status started;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
    started = RunTool(
        dir, {bin + "/pg_ctl", "-D", (dir / "data").string(), "-l", (dir / "server.log").string(),
              "-w", "-t", "30", "-o",
              absl::StrCat("-c listen_addresses=127.0.0.1 -p ", port, " -c unix_socket_directories='",
                           dir.string(), "' -c fsync=on -c shared_buffers=32MB"),
              "start"});
    if (started.ok()) {
      server->port_ = port;
      return server;
    }
  }
  return started;
}

PostgresTestServer::~PostgresTestServer() {
  if (port_ != 0) {
    RunTool(dir_, {BinDir() + "/pg_ctl", "-D", (fs::path(dir_) / "data").string(), "-m",
                   "immediate", "-w", "stop"})
        .IgnoreError();
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string PostgresTestServer::UriFor(std::string_view database) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", ToAbsl(database));
}

absl::StatusOr<std::string> PostgresTestServer::CreateDatabase(std::string_view name) {
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
                          std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad test database name '", ToAbsl(name), "': use [a-z0-9_]"));
  }
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(uri().c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to the test server: ",
                                               PQerrorMessage(conn.get())));
  }
  std::string sql = absl::StrCat("CREATE DATABASE ", ToAbsl(name));
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return absl::InternalError(
        absl::StrCat(sql, ": ", PQresultErrorMessage(result.get())));
  }
  return UriFor(name);
}

}  // namespace rhip::db
