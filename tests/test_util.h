// Helpers shared by the tests: fresh folders, files, running the binary.
#pragma once
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kms::core {
class Db;
}

namespace kms::test {

namespace fs = std::filesystem;

/// A fresh folder, removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void write_file(const fs::path& p, const std::string& bytes);
std::string read_file(const fs::path& p);
/// The lines of a JSON Lines report, parsed (the summary line last).
std::vector<nlohmann::json> read_jsonl(const fs::path& p);

struct ProcessResult {
  int exit_code = -1;
  std::string out;        ///< stdout and stderr, interleaved
  long peak_rss_kib = 0;  ///< the largest resident set the process reached
};

/// Run the program with arguments, stdin from /dev/null, and wait for it.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args);

/// Start the program in the background; returns its pid (stdout/stderr to `log`).
int start_process(const std::string& program, const std::vector<std::string>& args, const fs::path& log);

/// Starts the program on a new pseudo-terminal of `columns` columns (its
/// controlling terminal, as an operator's would be); `*master` is the other
/// side. With `output`, its stdout and stderr go to that file instead.
int start_on_terminal(const std::string& program, const std::vector<std::string>& args, int* master,
                      unsigned short columns = 80, const std::string& output = "");
/// Wait for a started process; returns its exit code (128+signal when killed),
/// and its peak resident set in KiB in `peak_rss_kib` when given.
int wait_process(int pid, long* peak_rss_kib = nullptr);

/// A generated store of `records` record files (kms-gen-store, seed `seed`)
/// under `root`, made once; returns its Security folder.
fs::path generated_store(const fs::path& root, int records, int seed = 5);

/// Copy a fixture store (symlinks copied as links) into `to`.
void copy_tree(const fs::path& from, const fs::path& to);

/// Base64 DER of a test certificate with this serial (valid to 2035).
std::string test_cert(const std::string& serial_hex, const std::string& cn = "Test User");

/// Files in `dir` whose names contain `part`.
/// Runs kms-migrate in a new session (no controlling terminal), stdin /dev/null,
/// stdout and stderr to `log`; with `env` ("NAME=value") added; with `pending`
/// (a signal number) raised while the cancelling signals are blocked, so that it
/// is waiting for the program before its first instruction.
int spawn_tool(const std::vector<std::string>& args, const fs::path& log, const std::string& env = "", int pending = 0);

/// Starts a run that stops at `point` (core/util/test_stop_point.h) and waits
/// there; returns its pid once it has said so on the FIFO, -1 (a test failure)
/// if it ended without reaching the point.
int start_at_stop_point(const std::vector<std::string>& args, const fs::path& log, const fs::path& fifo,
                        const std::string& point);

/// Waits for `pid` to end, at most `seconds` (a safety net only: the wait is
/// on the process's pidfd); kills it and returns -1 if it is still running then.
int wait_at_most(int pid, int seconds);

/// Runs `args` with the test build stopped at `point`; `change` alters the
/// store (or the target's folder) there; then the run goes on. The FIFO and
/// the log are made in `work`.
ProcessResult with_change_at(const fs::path& work, const std::vector<std::string>& args, const std::string& point,
                             const std::function<void()>& change);

/// The content digest of every client in `db`, read by DbReader: the reference
/// that the digest a run records is held to.
std::string content_digest(core::Db& db);

/// The Token and EscrowedKey values of the record files in `clients` (their first 40 characters).
std::vector<std::string> secrets_of(const fs::path& clients);

std::vector<std::string> files_containing(const fs::path& dir, const std::string& part);

}  // namespace kms::test
