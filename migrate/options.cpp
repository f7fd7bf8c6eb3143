#include "options.h"

#include <boost/program_options.hpp>

#include <sstream>
#include <algorithm>
#include <thread>

#include "safe_text.h"

namespace kms::cli {
namespace po = boost::program_options;
namespace {

const char* kUsage =
    "usage:\n"
    "  kms-migrate scan     --source DIR [--mailbox TEXT] [--json]\n"
    "  kms-migrate rehearse --source DIR [--report FILE] [--keep-db FILE]\n"
    "  kms-migrate upgrade  --source DIR --target FILE [--report FILE]\n"
    "                       [--allow-rejected] [--force] [--yes]\n"
    "  kms-migrate verify   --source DIR --target FILE [--report FILE]\n"
    "  kms-migrate COMMAND --help\n"
    "\n"
    "Upgrades an Exchange 5.0 KMS client store (Security\\Mgrent\\Clients) to the\n"
    "Exchange 5.5 database. Exit codes: 0 ok, 1 data problems, 2 usage or\n"
    "environment, 3 internal or I/O failure, 130 cancelled.\n";

const char* kAbout[] = {
    "scan: read the store and change nothing; counts, issues, and --mailbox look-up.",
    "rehearse: run the whole upgrade into a scratch database, report what the real run would do, then delete it.",
    "upgrade: the one-shot run; writes the verified 5.5 database at --target, or nothing.",
    "verify: check a 5.5 database against the store, record by record.",
};

// A worker per core: parsing is the larger part of every command once the
// writer inserts rows in batches (measured on 2 cores, docs/performance.md).
bool writes(Command c) { return c == Command::Upgrade || c == Command::Rehearse; }

int default_jobs() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

po::options_description common_options(Command c, Options& o) {
  po::options_description d("Common options");
  d.add_options()
      ("jobs", po::value<int>(&o.jobs)->default_value(default_jobs()),
       writes(c) ? "worker threads reading and checking records, beside the one writing; they run at nice +19 so that the writer always has a core (default: one per core)"
                 : "worker threads reading and checking records (default: one per core)")
      ("progress", po::value<std::string>()->default_value("auto"), "auto|always|never: live progress line on stderr")
      ("max-record-size", po::value<std::int64_t>(&o.max_record_size)->default_value(1 << 20),
       "record files larger than this many bytes are rejected as too-large")
      ("quiet", po::bool_switch(&o.quiet), "print only errors and the final status line")
      ("help", "show this help");
  return d;
}

po::options_description command_options(Command c, Options& o) {
  po::options_description d(std::string(command_name(c)) + " options");
  d.add_options()("source", po::value<std::string>(&o.source)->required(),
                  "the Security folder, its Mgrent folder, or the Clients folder");
  switch (c) {
    case Command::Scan:
      d.add_options()("mailbox", po::value<std::string>(), "show the file(s) of this mailbox (DN or alias)")
          ("json", po::bool_switch(&o.json), "print one JSON document");
      break;
    case Command::Rehearse:
      d.add_options()("report", po::value<std::string>(), "write the per-record report (.jsonl or .csv)")
          ("keep-db", po::value<std::string>(), "keep the scratch database at this path");
      break;
    case Command::Upgrade:
      d.add_options()("target", po::value<std::string>(&o.target)->required(), "the 5.5 database to create")
          ("report", po::value<std::string>(), "write the per-record report (.jsonl or .csv)")
          ("allow-rejected", po::bool_switch(&o.allow_rejected), "migrate the valid records even if some are rejected")
          ("force", po::bool_switch(&o.force), "replace an existing target (only once the new one is complete)")
          ("yes", po::bool_switch(&o.yes), "do not ask for confirmation on a terminal");
      break;
    case Command::Verify:
      d.add_options()("target", po::value<std::string>(&o.target)->required(), "the 5.5 database to check")
          ("report", po::value<std::string>(), "write the per-record report (.jsonl or .csv)");
      break;
  }
  return d;
}

std::optional<Command> command_from(const std::string& s) {
  if (s == "scan") return Command::Scan;
  if (s == "rehearse") return Command::Rehearse;
  if (s == "upgrade") return Command::Upgrade;
  if (s == "verify") return Command::Verify;
  return std::nullopt;
}

ParseOutcome error(const std::string& msg) {
  ParseOutcome out;
  out.text = "kms-migrate: " + core::terminal_text(msg) + "\n\n" + kUsage;  // msg may quote what was typed
  out.exit_code = 2;
  return out;
}

}  // namespace

const char* command_name(Command c) {
  switch (c) {
    case Command::Scan: return "scan";
    case Command::Rehearse: return "rehearse";
    case Command::Upgrade: return "upgrade";
    case Command::Verify: return "verify";
  }
  return "?";
}

ParseOutcome parse_options(const std::vector<std::string>& args) {
  ParseOutcome out;
  if (args.empty()) return error("no command given");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out.text = kUsage;
    return out;
  }
  if (args[0] == "--version") {
    out.text = std::string("kms-migrate ") + kToolVersion + "\n";
    return out;
  }
  const auto cmd = command_from(args[0]);
  if (!cmd) return error("unknown command '" + args[0] + "'");
  Options o;
  o.command = *cmd;
  po::options_description all;
  all.add(command_options(*cmd, o)).add(common_options(*cmd, o));
  all.add_options()("version", "print the version");
  po::variables_map vm;
  try {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    po::store(po::command_line_parser(rest).options(all).run(), vm);
    if (vm.count("help")) {
      std::ostringstream s;
      s << "kms-migrate " << command_name(*cmd) << ": " << kAbout[static_cast<int>(*cmd)] << "\n\n" << all;
      out.text = s.str();
      return out;
    }
    if (vm.count("version")) {
      out.text = std::string("kms-migrate ") + kToolVersion + "\n";
      return out;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return error(e.what());
  }
  if (vm.count("report")) o.report = vm["report"].as<std::string>();
  if (vm.count("keep-db")) o.keep_db = vm["keep-db"].as<std::string>();
  if (vm.count("mailbox")) o.mailbox = vm["mailbox"].as<std::string>();
  const std::string progress = vm["progress"].as<std::string>();
  if (progress == "auto") o.progress = ProgressMode::Auto;
  else if (progress == "always") o.progress = ProgressMode::Always;
  else if (progress == "never") o.progress = ProgressMode::Never;
  else return error("--progress must be auto, always or never, not '" + progress + "'");
  if (o.jobs < 1 || o.jobs > 256) return error("--jobs must be between 1 and 256");
  if (o.max_record_size < 1) return error("--max-record-size must be at least 1 byte");
  if (o.report) {
    const auto dot = o.report->rfind('.');
    const std::string ext = dot == std::string::npos ? "" : o.report->substr(dot);
    if (ext != ".jsonl" && ext != ".csv" && ext != ".JSONL" && ext != ".CSV") {
      return error("--report must end in .jsonl or .csv: '" + *o.report + "'");
    }
  }
  out.options = o;
  return out;
}

}  // namespace kms::cli
