#include "test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "cert_factory.h"
#include "content_digest.h"
#include "db_reader.h"
#include "sqlite_handle.h"

namespace fs = std::filesystem;

extern char** environ;

namespace kms::test {

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "kms-test-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Make everything writable again so a read-only test folder can be removed.
  for (fs::recursive_directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
    if (!fs::is_symlink(it->path()))
      fs::permissions(it->path(), fs::perms::owner_write | fs::perms::owner_exec, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p.string(), std::ios::binary | std::ios::trunc);
  f << bytes;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

std::vector<nlohmann::json> read_jsonl(const fs::path& p) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_file(p));
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p.string(), std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

namespace {

std::vector<char*> argv_of(const std::string& program, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

int spawn(const std::string& program, const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  auto argv = argv_of(program, args);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + program);
  return pid;
}

}  // namespace

int start_process(const std::string& program, const std::vector<std::string>& args, const fs::path& log) {
  return spawn(program, args, log.string());
}

int wait_process(int pid, long* peak_rss_kib) {
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0) {
  }
  if (peak_rss_kib) *peak_rss_kib = usage.ru_maxrss;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int start_on_terminal(const std::string& program, const std::vector<std::string>& args, int* master,
                      unsigned short columns, const std::string& output) {
  winsize ws{};
  ws.ws_col = columns;
  ws.ws_row = 24;
  const pid_t pid = forkpty(master, nullptr, nullptr, &ws);
  if (pid == 0) {
    if (!output.empty()) {
      const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    auto argv = argv_of(program, args);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args) {
  TempDir tmp;
  const fs::path log = tmp / "output.txt";
  ProcessResult r;
  r.exit_code = wait_process(spawn(program, args, log.string()), &r.peak_rss_kib);
  r.out = read_file(log);
  return r;
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (fs::directory_iterator it(from), end; it != end; ++it) {
    const fs::path dest = to / it->path().filename();
    const auto st = fs::symlink_status(it->path());
    if (st.type() == fs::file_type::symlink) {
      fs::copy_symlink(it->path(), dest);
    } else if (st.type() == fs::file_type::directory) {
      copy_tree(it->path(), dest);
    } else {
      fs::copy_file(it->path(), dest);
    }
  }
}

std::string test_cert(const std::string& serial_hex, const std::string& cn) {
  fixtures::CertSpec spec;
  spec.serial_hex = serial_hex;
  spec.common_name = cn;
  return fixtures::base64(fixtures::make_certificate(spec));
}

std::vector<std::string> files_containing(const fs::path& dir, const std::string& part) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(part) != std::string::npos) out.push_back(name);
  }
  return out;
}

std::string content_digest(core::Db& db) {
  core::ContentDigest d;
  core::DbReader reader(db);
  core::Stmt ids(db, "SELECT record_id FROM clients");
  while (ids.step()) {
    const auto rec = reader.read_client(ids.text(0));
    if (rec) d.add(rec->record_id, core::record_digest(*rec));
  }
  return d.hex();
}

/// Runs kms-migrate in a new session (no controlling terminal), stdin /dev/null,
/// stdout and stderr to `log`; with `env` ("NAME=value") added; with `pending`
/// (a signal number) raised while the cancelling signals are blocked, so that it
/// is waiting for the program before its first instruction.
int spawn_tool(const std::vector<std::string>& args, const fs::path& log, const std::string& env, int pending) {
  // The handshake of test_stop_point is only in kms-migrate-test.
  const char* bin = env.rfind("KMS_MIGRATE_TEST_STOP=", 0) == 0 ? KMS_MIGRATE_TEST_BIN : KMS_MIGRATE_BIN;
  std::vector<std::string> all{bin};
  all.insert(all.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (!env.empty()) ::putenv(const_cast<char*>(env.c_str()));
    if (pending) {
      sigset_t block;
      sigemptyset(&block);
      for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&block, s);
      ::sigprocmask(SIG_BLOCK, &block, nullptr);
      ::raise(pending);  // pending across exec, until the program unblocks it
    }
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin, argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Starts a run that stops at `point` and waits there; returns its pid once it
/// has said so on the FIFO. If the run ends without reaching the point, the
/// test fails instead of waiting for ever (the two-minute limit is a safety net
/// only: the handshake itself does not depend on time).
int start_at_stop_point(const std::vector<std::string>& args, const fs::path& log, const fs::path& fifo,
                        const std::string& point) {
  const int pid = spawn_tool(args, log, "KMS_MIGRATE_TEST_STOP=" + point + ":" + fifo.string());
  const int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  std::string said;
  for (int waited = 0; waited < 120000 && said.find('\n') == std::string::npos; waited += 10) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) > 0 && (p.revents & POLLIN)) {
      char buf[64];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) said.append(buf, static_cast<std::size_t>(n));
    }
    int status = 0;
    if (said.empty() && ::waitpid(pid, &status, WNOHANG) == pid) {
      ADD_FAILURE() << "the run ended before reaching " << point << ":\n" << read_file(log);
      ::close(fd);
      return -1;
    }
  }
  ::close(fd);
  EXPECT_EQ(said, point + "\n") << read_file(log);
  return pid;
}

/// Waits for `pid` to end, at most `seconds` (a safety net only); kills it and returns -1 if it is still running then.
int wait_at_most(int pid, int seconds) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd p{fd, POLLIN, 0};
  const bool ended = fd >= 0 && ::poll(&p, 1, seconds * 1000) > 0;
  if (fd >= 0) ::close(fd);
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!ended) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Runs `args` with the test build stopped at `point`; `change` alters the store there; then the run goes on.
ProcessResult with_change_at(const fs::path& work, const std::vector<std::string>& args, const std::string& point,
                             const std::function<void()>& change) {
  const fs::path fifo = work / "stop.fifo";
  fs::remove(fifo);
  fs::remove(fifo.string() + ".continue");
  ::mkfifo(fifo.c_str(), 0600);
  const fs::path log = work / "stop.txt";
  const int pid = start_at_stop_point(args, log, fifo, point);
  ProcessResult r;
  if (pid < 0) return r;
  change();
  write_file(fifo.string() + ".continue", "");
  r.exit_code = wait_at_most(pid, 120);
  r.out = read_file(log);
  return r;
}

fs::path generated_store(const fs::path& root, int records, int seed) {
  if (!fs::exists(root)) {
    EXPECT_EQ(run_process(KMS_GEN_STORE_BIN, {"store", root.string(), std::to_string(records), std::to_string(seed)})
                  .exit_code,
              0);
  }
  return root / "Security";
}

std::vector<std::string> secrets_of(const fs::path& clients) {
  std::vector<std::string> out;
  const std::regex re("^(Token|EscrowedKey)=(.+?)\r?$");
  for (fs::directory_iterator it(clients), end; it != end; ++it) {
    if (!fs::is_regular_file(it->symlink_status())) continue;
    std::istringstream in(read_file(it->path()));
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_match(line, m, re)) out.push_back(m[2].str().substr(0, 40));
    }
  }
  return out;
}

}  // namespace kms::test
