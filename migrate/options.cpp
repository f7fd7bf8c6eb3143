#include "options.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cstring>
#include <sstream>
#include <thread>

#include "file_reader.h"
#include "report.h"
#include "safe_text.h"

namespace kms::cli {
namespace po = boost::program_options;
namespace {

const char* kUsageLines[] = {
    "  kms-migrate scan     --source DIR [--mailbox TEXT] [--json] [--summary] [--all]\n",
    "  kms-migrate rehearse --source DIR [--report FILE]... [--keep-db FILE]\n"
    "                       [--allow-rejected] [--all]\n",
    "  kms-migrate upgrade  --source DIR --target FILE [--report FILE]...\n"
    "                       [--allow-rejected] [--force] [--yes] [--all]\n",
    "  kms-migrate verify   --source DIR --target FILE [--report FILE]... [--expect-digest HEX]\n",
};

const char* kUsageTail =
    "  kms-migrate COMMAND --help\n"
    "\n"
    "Upgrades an Exchange 5.0 KMS client store (Security\\Mgrent\\Clients) to the\n"
    "Exchange 5.5 database. Exit codes: 0 ok, 1 data problems, 2 usage or\n"
    "environment, 3 internal or I/O failure, 4 committed but the report not\n"
    "completed, 130 cancelled.\n";

std::string usage() {
  std::string u = "usage:\n";
  for (const char* l : kUsageLines) u += l;
  return u + kUsageTail;
}

std::string usage_of(Command c) {
  return std::string("usage:\n") + kUsageLines[static_cast<int>(c)] + "  kms-migrate " + command_name(c) + " --help\n";
}

const char* kAbout[] = {
    "read the store and change nothing; counts, issues, and --mailbox look-up.",
    "run the whole upgrade into a scratch database, report what the real run would do, then delete it.",
    "the one-shot run; writes the verified 5.5 database at --target, or nothing.",
    "check a 5.5 database against the store, record by record.",
};

constexpr const char* kAllHelp =
    "list every file of each list on the terminal (rejects, normalizations, differences), not the first 25";

constexpr const char* kReportHelp =
    "write a report: .jsonl (a line per file), .csv (a row per file) or .html (the sign-off report); "
    "may be given more than once";

// A worker per core: parsing is the larger part of every command once the
// writer inserts rows in batches (measured on 2 cores, docs/performance.md).
bool writes(Command c) { return c == Command::Upgrade || c == Command::Rehearse; }

int default_jobs() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

po::options_description common_options(Command c, Options& o) {
  po::options_description d("Common options");
  d.add_options()("jobs", po::value<int>(&o.jobs)->default_value(default_jobs())->value_name("N"),
                  writes(c)
                      ? "worker threads reading and checking records, beside the one writing (default: one per core)"
                      : "worker threads reading and checking records (default: one per core)")(
      "progress", po::value<std::string>()->default_value("auto")->value_name("WHEN"),
      "auto|always|never: live progress line on stderr")(
      "max-record-size", po::value<std::int64_t>(&o.max_record_size)->default_value(1 << 20)->value_name("BYTES"),
      "record files larger than this many bytes (at most 64 MiB) are rejected as too-large")(
      "manifest", po::value<std::string>()->value_name("FILE"),
      "check every file of the store against this list of SHA-256 hashes made on the server (sha256sum or "
      "Get-FileHash output); any difference fails the run and nothing is committed")(
      "quiet", po::bool_switch(&o.quiet), "print only errors and the final status line")("help,h", "show this help")(
      "version,V", "print the version");
  return d;
}

po::options_description command_options(Command c, Options& o) {
  po::options_description d(std::string("Options of ") + command_name(c));
  d.add_options()("source", po::value<std::string>(&o.source)->required()->value_name("DIR"),
                  "the Security folder, its Mgrent folder, or the Clients folder");
  switch (c) {
    case Command::Scan:
      d.add_options()("mailbox", po::value<std::string>()->value_name("TEXT"),
                      "show only the file(s) of this mailbox (DN or alias)")("json", po::bool_switch(&o.json),
                                                                             "print one JSON document")(
          "summary", po::bool_switch(&o.summary), "with --mailbox: the inventory of the store too")(
          "all", po::bool_switch(&o.all), "list every file of each list, not the first 25");
      break;
    case Command::Rehearse:
      d.add_options()("report", po::value<std::vector<std::string>>()->value_name("FILE"), kReportHelp)(
          "keep-db", po::value<std::string>()->value_name("FILE"), "keep the scratch database at this path")(
          "allow-rejected", po::bool_switch(&o.allow_rejected),
          "rehearse the upgrade as it will be run with --allow-rejected: the rejected files are accepted")(
          "all", po::bool_switch(&o.all), kAllHelp);
      break;
    case Command::Upgrade:
      d.add_options()("target", po::value<std::string>(&o.target)->required()->value_name("FILE"),
                      "the 5.5 database to create")("report", po::value<std::vector<std::string>>()->value_name("FILE"),
                                                    kReportHelp)("allow-rejected", po::bool_switch(&o.allow_rejected),
                                                                 "migrate the valid records even if some are rejected")(
          "force", po::bool_switch(&o.force), "replace an existing target (only once the new one is complete)")(
          "yes", po::bool_switch(&o.yes), "do not ask for confirmation on a terminal")("all", po::bool_switch(&o.all),
                                                                                       kAllHelp);
      break;
    case Command::Verify:
      d.add_options()("target", po::value<std::string>(&o.target)->required()->value_name("FILE"),
                      "the 5.5 database to check")("report", po::value<std::vector<std::string>>()->value_name("FILE"),
                                                   kReportHelp)(
          "expect-digest", po::value<std::string>()->value_name("HEX"),
          "fail unless the database and the store give this content_digest or store_digest (from the rehearsal "
          "or the sign-off)");
      break;
  }
  return d;
}

std::optional<Command> command_from(const std::string& s) {
  for (const Command c : {Command::Scan, Command::Rehearse, Command::Upgrade, Command::Verify}) {
    if (s == command_name(c)) return c;
  }
  return std::nullopt;
}

ParseOutcome error(const std::string& msg, std::optional<Command> c = std::nullopt) {
  ParseOutcome out;
  out.text = "kms-migrate: " + core::terminal_text(msg) + "\n\n" +
             (c ? usage_of(*c) : usage());  // msg may quote what was typed
  out.exit_code = core::ExitCode::Usage;
  return out;
}

/// The hidden option that collects words no option took, to name them in the error.
constexpr const char* kStray = "kms-stray-word";

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// "; did you mean --source?" for an option name close to one of the command's.
std::string suggestion(const std::string& typed, const po::options_description& all) {
  std::string name = typed;
  while (!name.empty() && name.front() == '-') name.erase(name.begin());
  name = name.substr(0, name.find('='));
  std::string best;
  std::size_t best_d = 3;  // at most two edits away
  for (const auto& o : all.options()) {
    const std::string cand = o->long_name();
    if (cand == kStray) continue;
    const std::size_t d = edit_distance(name, cand);
    if (d < best_d || (name.size() >= 3 && cand.compare(0, name.size(), name) == 0 && best.empty())) {
      best_d = std::min(d, best_d);
      best = cand;
    }
  }
  return best.empty() ? "" : "; did you mean --" + best + "?";
}

/// Every path option must name something: an empty one would mean the current folder's parent, or nothing.
std::optional<std::string> empty_path(const po::variables_map& vm) {
  for (const char* name : {"source", "target", "keep-db"}) {
    if (vm.count(name) && vm[name].as<std::string>().empty()) return std::string("--") + name + " must not be empty";
  }
  if (vm.count("report")) {
    for (const auto& r : vm["report"].as<std::vector<std::string>>()) {
      if (r.empty()) return std::string("--report must not be empty");
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

ParseOutcome text_only(std::string text) {
  ParseOutcome out;
  out.text = std::move(text);
  out.exit_code = core::ExitCode::Ok;
  return out;
}

/// The words after the command into `vm`. Strict: no positional arguments at all
/// (a stray word, or a value given to a flag, "--allow-rejected no", is an
/// error), and no abbreviated option names. Help, version or an error: what to print.
std::optional<ParseOutcome> read_words(Command cmd, const std::vector<std::string>& rest,
                                       const po::options_description& all, po::variables_map& vm) {
  try {
    const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::options_description parse_only = all;
    parse_only.add_options()(kStray, po::value<std::vector<std::string>>());
    po::positional_options_description words;
    words.add(kStray, -1);
    po::store(po::command_line_parser(rest).options(parse_only).positional(words).style(style).run(), vm);
    if (vm.count(kStray)) {
      return error("unexpected argument '" + vm[kStray].as<std::vector<std::string>>().front() +
                       "' (an option takes its value as the next word; a flag takes none)",
                   cmd);
    }
    if (vm.count("help")) {
      std::ostringstream s;
      s << "kms-migrate " << command_name(cmd) << ": " << kAbout[static_cast<int>(cmd)] << "\n\nusage:\n"
        << kUsageLines[static_cast<int>(cmd)] << all;
      return text_only(s.str());
    }
    if (vm.count("version")) return text_only(std::string("kms-migrate ") + kToolVersion + "\n");
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    return error(std::string(e.what()) + suggestion(e.get_option_name(), all), cmd);
  } catch (const po::error& e) {
    return error(e.what(), cmd);
  }
  return std::nullopt;
}

/// The values that need more than Boost's own conversion; nullopt when all are valid.
std::optional<ParseOutcome> take_values(const po::variables_map& vm, Options& o) {
  if (const auto why = empty_path(vm)) return error(*why, o.command);
  if (vm.count("report")) o.reports = vm["report"].as<std::vector<std::string>>();
  if (vm.count("keep-db")) o.keep_db = vm["keep-db"].as<std::string>();
  if (vm.count("mailbox")) o.mailbox = vm["mailbox"].as<std::string>();
  if (vm.count("manifest")) o.manifest = vm["manifest"].as<std::string>();
  if (vm.count("expect-digest")) {
    o.expect_digest = vm["expect-digest"].as<std::string>();
    const bool hex =
        o.expect_digest->size() == 64 && std::all_of(o.expect_digest->begin(), o.expect_digest->end(),
                                                     [](unsigned char c) { return std::isxdigit(c) != 0; });
    if (!hex) return error("--expect-digest takes the 64 hexadecimal digits of a digest", o.command);
  }
  const std::string progress = vm["progress"].as<std::string>();
  if (progress == "auto")
    o.progress = ProgressMode::Auto;
  else if (progress == "always")
    o.progress = ProgressMode::Always;
  else if (progress == "never")
    o.progress = ProgressMode::Never;
  else
    return error("--progress must be auto, always or never, not '" + progress + "'", o.command);
  if (o.jobs < 1 || o.jobs > 256) return error("--jobs must be between 1 and 256", o.command);
  if (o.max_record_size < 1) return error("--max-record-size must be at least 1 byte", o.command);
  if (o.max_record_size > core::kMaxRecordSizeCeiling) {
    return error("--max-record-size is at most " + std::to_string(core::kMaxRecordSizeCeiling) +
                     " bytes (64 MiB): a record file is read whole into memory up to it, by each worker",
                 o.command);
  }
  o.max_record_size_given = !vm["max-record-size"].defaulted();
  for (const auto& r : o.reports) {
    if (!core::report_format_for(r)) return error("--report must end in .jsonl, .csv or .html: '" + r + "'", o.command);
  }
  if (o.summary && !o.mailbox)
    return error("--summary goes with --mailbox (without it the inventory is shown)", o.command);
  return std::nullopt;
}

/// The command as typed, for the report's facts: "kms-migrate" and each word,
/// quoted for a POSIX shell where it needs it, so that it can be run again.
std::string command_line(const std::vector<std::string>& args) {
  std::string line = "kms-migrate";
  for (const std::string& a : args) {
    const bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-_./=:,@+%", c) != nullptr;
    });
    if (plain) {
      line += " " + a;
      continue;
    }
    line += " '";
    for (char c : a) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += "'";
  }
  return line;
}

}  // namespace

ParseOutcome parse_options(const std::vector<std::string>& args) {
  if (args.empty()) return error("no command given");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") return text_only(usage());
  if (args[0] == "--version" || args[0] == "-V") return text_only(std::string("kms-migrate ") + kToolVersion + "\n");
  const auto cmd = command_from(args[0]);
  if (!cmd) {
    std::string hint;
    for (const Command c : {Command::Scan, Command::Rehearse, Command::Upgrade, Command::Verify}) {
      if (edit_distance(args[0], command_name(c)) <= 2) hint = std::string("; did you mean ") + command_name(c) + "?";
    }
    return error("unknown command '" + args[0] + "'" + hint);
  }
  Options o;
  o.command = *cmd;
  o.command_line = command_line(args);
  po::options_description all;
  all.add(command_options(*cmd, o)).add(common_options(*cmd, o));
  po::variables_map vm;
  if (auto printed = read_words(*cmd, std::vector<std::string>(args.begin() + 1, args.end()), all, vm)) return *printed;
  if (auto invalid = take_values(vm, o)) return *invalid;
  ParseOutcome out;
  out.options = o;
  return out;
}

}  // namespace kms::cli
