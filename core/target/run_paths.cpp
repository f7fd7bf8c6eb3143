#include "run_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "store_walker.h"
#include "target_file.h"
#include "text_util.h"

namespace kms::core {
namespace {

namespace fs = std::filesystem;

fs::path resolved(const fs::path& p) {
  std::error_code ec;
  const fs::path r = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal() : r;
}

bool within(const fs::path& inner, const fs::path& outer) {
  auto ia = inner.begin();
  for (auto ib = outer.begin(); ib != outer.end(); ++ib, ++ia) {
    if (ib->empty() || *ib == ".") continue;  // a trailing separator
    if (ia == inner.end() || *ia != *ib) return false;
  }
  return true;
}

/// One path of the run, with what it is called in messages.
struct Named {
  std::string label;
  fs::path path;
  fs::path real;
};

Named named(std::string label, const fs::path& p) { return Named{std::move(label), p, resolved(p)}; }

bool same_file(const Named& a, const Named& b) {
  if (a.real == b.real) return true;
  struct stat x {
  }, y{};
  return ::stat(a.path.c_str(), &x) == 0 && ::stat(b.path.c_str(), &y) == 0 && x.st_dev == y.st_dev &&
         x.st_ino == y.st_ino;
}

std::string describe(const Named& n) { return n.label + " '" + n.path.string() + "'"; }

/// A report is replaced by a rename: its folder must take a new file, and the path must not be anything but a file.
std::string check_report(const fs::path& report) {
  std::error_code ec;
  const std::string name = report.filename().string();
  if (name.empty() || name == "." || name == "..") return "the --report '" + report.string() + "' names a folder";
  const fs::path folder = fs::absolute(report).parent_path();
  if (!fs::is_directory(folder, ec)) {
    return "the --report folder '" + folder.string() + "' " +
           (fs::exists(folder, ec) ? "is not a folder" : "does not exist");
  }
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return "the --report folder '" + folder.string() + "' is not writable: " + std::strerror(errno);
  }
  const auto st = fs::symlink_status(report, ec);
  if (!ec && st.type() != fs::file_type::not_found && st.type() != fs::file_type::regular) {
    return "the --report '" + report.string() + "' exists and is not a regular file (" +
           (st.type() == fs::file_type::directory ? "a folder"
            : st.type() == fs::file_type::symlink ? "a symbolic link"
                                                  : "a special file") +
           "); name a file";
  }
  return "";
}

bool inside(const Named& n, const std::vector<fs::path>& roots) {
  for (const auto& r : roots) {
    if (within(n.real, r)) return true;
  }
  return false;
}

}  // namespace

fs::path scratch_parent() {
  const char* v = std::getenv("TMPDIR");
  return v && *v ? fs::path(v) : fs::path("/tmp");
}

namespace {

/// "The source": the folder named, the Clients folder found in it, and the whole
/// store around it (Mgrent and the Security folder above it) when --source
/// names Clients or Mgrent.
std::vector<fs::path> source_roots(const fs::path& source) {
  std::vector<fs::path> roots{resolved(source)};
  const auto clients = find_clients_dir(source);
  if (!clients.ok()) return roots;
  const fs::path c = resolved(clients.value());
  roots.push_back(c);
  const fs::path mgrent = c.parent_path();
  if (iequals(mgrent.filename().string(), "Mgrent")) {
    roots.push_back(mgrent);
    const fs::path security = mgrent.parent_path();
    if (security.has_parent_path() && security != security.root_path()) roots.push_back(security);
  }
  return roots;
}

Status refused(std::string why) { return Error{ExitCode::Usage, std::move(why), {}, 0}; }

/// The most the private folder made beside an output adds to its name:
/// ".NAME.kms-migrate-PID-XXXXXX" (a pid of up to 10 digits); the file in it
/// takes the output's name again, after a '/'.
constexpr std::size_t kTemporaryNameExtra = 1 + 13 + 10 + 7;

/// "" when `o`'s temporary names fit its folder's limits on a name and a path;
/// else why not. Said before any work: a name that only the last step (the
/// temporary copy of --keep-db, the report's rename) would find too long.
std::string temporary_names_fit(const Named& o) {
  const fs::path folder = o.real.parent_path();
  long name_max = ::pathconf(folder.c_str(), _PC_NAME_MAX);
  if (name_max <= 0) name_max = 255;
  const std::size_t name = o.real.filename().native().size();
  const std::size_t path = o.real.native().size();
  if (name + kTemporaryNameExtra > static_cast<std::size_t>(name_max) ||
      path + kTemporaryNameExtra + 1 + name >= static_cast<std::size_t>(PATH_MAX)) {
    return describe(o) + " has a name of " + std::to_string(name) +
           " bytes: with the private folder made beside it (." + "NAME.kms-migrate-PID-XXXXXX, " +
           std::to_string(kTemporaryNameExtra) + " bytes more) it would exceed the folder's limit of " +
           std::to_string(name_max) + " bytes a name (" + std::to_string(PATH_MAX) + " a path); choose a shorter name";
  }
  return {};
}

/// Each output checked on its own, then named for the comparisons.
Result<std::vector<Named>> outputs_of(const RunPaths& p) {
  std::vector<Named> outputs;
  if (p.target && p.target_written) {
    if (auto s = check_target(*p.target, p.force, p.source); !s.ok()) return s.error();
    outputs.push_back(named("the target", *p.target));
  }
  if (p.keep_db) {
    if (auto s = check_target(*p.keep_db, false, p.source, NewFile::KeepDb); !s.ok()) return s.error();
    outputs.push_back(named("the --keep-db file", *p.keep_db));
  }
  for (const auto& r : p.reports) {
    if (const std::string why = check_report(r); !why.empty()) return refused(why).error();
    outputs.push_back(named("the --report", r));
  }
  for (const auto& o : outputs) {
    if (const std::string why = temporary_names_fit(o); !why.empty()) return refused(why).error();
  }
  return outputs;
}

/// No output is the database verify reads, lies in the source, or is another output.
Status outputs_apart(const RunPaths& p, const std::vector<Named>& outputs, const std::vector<fs::path>& roots) {
  if (p.target && !p.target_written) {  // verify reads it: no output may be it
    const Named db = named("the database being verified", *p.target);
    for (const auto& o : outputs) {
      if (same_file(o, db)) return refused(describe(o) + " is " + describe(db) + "; it would be overwritten");
    }
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (inside(outputs[i], roots)) {
      return refused(describe(outputs[i]) + " is inside the source store '" + p.source.string() +
                     "'; nothing is ever written there: choose a path outside it");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (same_file(outputs[i], outputs[j])) {
        return refused(describe(outputs[i]) + " is the same file as " + describe(outputs[j]) +
                       "; one would destroy the other");
      }
    }
  }
  return Status::success();
}

/// SQLite's temporary files and a rehearsal's scratch folder stay out of the source.
Status temporary_folders_apart(const RunPaths& p, const std::vector<fs::path>& roots) {
  if (!p.uses_temporary_storage) return Status::success();
  for (const char* var : {"TMPDIR", "SQLITE_TMPDIR"}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    const Named tmp = named(std::string("the temporary folder $") + var, v);
    if (inside(tmp, roots)) {
      return refused(describe(tmp) + " is inside the source store '" + p.source.string() + "'; set " + var +
                     " to a folder outside it");
    }
  }
  return Status::success();
}

}  // namespace

Status check_run_paths(const RunPaths& p) {
  const std::vector<fs::path> roots = source_roots(p.source);
  const auto outputs = outputs_of(p);
  if (!outputs.ok()) return outputs.error();
  if (auto s = outputs_apart(p, outputs.value(), roots); !s.ok()) return s;
  return temporary_folders_apart(p, roots);
}

}  // namespace kms::core
