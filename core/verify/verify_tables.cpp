#include "verify_tables.h"

#include <set>
#include <tuple>

#include "command.h"
#include "db_writer.h"
#include "schema_sql.h"
#include "text_util.h"

namespace kms::core {
namespace {

using SchemaEntry = std::tuple<std::string, std::string, std::string, std::string>;  // type, name, table, sql

std::set<SchemaEntry> schema_of(Db& db) {
  std::set<SchemaEntry> out;
  Stmt q(db, "SELECT type, name, tbl_name, ifnull(sql, '') FROM sqlite_schema");
  while (q.step()) out.emplace(q.text(0), q.text(1), q.text(2), q.text(3));
  return out;
}

/// The tool's own schema, made in memory from the embedded SQL.
Db& fresh_schema() {
  thread_local std::unique_ptr<Db> db;
  if (!db) {
    db = std::make_unique<Db>(":memory:", OpenMode::ReadWriteCreate);
    db->exec(schema::kSchemaSql);
    db->exec(schema::kIndexSql);
  }
  return *db;
}

/// "YYYY-MM-DDTHH:MM:SSZ", each field in its range.
bool is_iso_time(const std::string& s) {
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
    return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const auto num = [&](std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); };
  return num(5) >= 1 && num(5) <= 12 && num(8) >= 1 && num(8) <= 31 && num(11) <= 23 && num(14) <= 59 && num(17) <= 60;
}

/// A phase's seconds as the tool writes them (std::to_string of a double: "12.345678").
bool is_seconds(const std::string& s) {
  const auto dot = s.find('.');
  if (dot == std::string::npos || dot == 0 || s.size() - dot - 1 != 6) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != dot && (s[i] < '0' || s[i] > '9')) return false;
  }
  return true;
}

/// Text of a sane length without a NUL: what the tool can write for a host, a
/// user, its version or a path (a path may hold any other byte, a newline too).
bool is_plain_text(const std::string& s) { return s.size() <= 4096 && s.find('\0') == std::string::npos; }

/// The phases whose seconds the upgrade (and a rehearsal's --keep-db copy) records.
const std::set<std::string> kPhaseKeys = {"seconds_read_check_write", "seconds_store_digest", "seconds_verify",
                                          "seconds_source_recheck",   "seconds_report",       "seconds_sqlite_checks"};

const std::set<std::string> kRunKeys = {"tool_version", "source",      "target",  "host",          "operator",
                                        "started_at",   "finished_at", "command", "allow_rejected"};

const std::set<std::string> kFactKeys = {"schema_version",  "content_digest",  "store_digest",   "files_seen",
                                         "migrated",        "normalized",      "rejected",       "skipped",
                                         "verified_passed", "verified_failed", "max_record_size"};

}  // namespace

void ClientRows::add(const ClientRows& o) {
  for (std::size_t t = 0; t < n.size(); ++t) n[t] += o.n[t];
}

ClientRows table_rows(Db& db) {
  ClientRows r;
  for (std::size_t t = 0; t < r.n.size(); ++t) {
    Stmt q(db, (std::string("SELECT count(*) FROM ") + ClientRows::kTables[t]).c_str());
    r.n[t] = q.step() ? static_cast<std::uint64_t>(q.integer(0)) : 0;
  }
  return r;
}

ClientRows orphan_rows(Db& db, Differences& out) {
  ClientRows r;
  for (std::size_t t = 1; t < r.n.size(); ++t) {  // every table but clients itself
    const std::string table = ClientRows::kTables[t];
    Stmt q(db, ("SELECT record_id, count(*) FROM " + table + " AS t WHERE NOT EXISTS (SELECT 1 FROM clients AS c " +
                "WHERE c.record_id = t.record_id) GROUP BY record_id ORDER BY record_id")
                   .c_str());
    while (q.step()) {
      const auto rows = static_cast<std::uint64_t>(q.integer(1));
      r.n[t] += rows;
      out.add(table, table + " has " + grouped(rows) + " row(s) for '" + q.text(0) + "', which is no client's");
    }
  }
  return r;
}

void row_count_differences(const ClientRows& actual, const ClientRows& accounted, Differences& out) {
  for (std::size_t t = 0; t < actual.n.size(); ++t) {
    if (actual.n[t] == accounted.n[t]) continue;
    const std::string table = ClientRows::kTables[t];
    out.add(table, table + " holds " + grouped(actual.n[t]) + " row(s); " + grouped(accounted.n[t]) +
                       (t == 0 ? " are accounted for by the store and legacy_files"
                               : " belong to the clients compared or are named above"));
  }
}

std::vector<std::string> schema_differences(Db& db) {
  const std::set<SchemaEntry> expected = schema_of(fresh_schema());
  const std::set<SchemaEntry> actual = schema_of(db);
  std::vector<std::string> out;
  const auto name_of = [](const SchemaEntry& e) { return std::get<0>(e) + " '" + std::get<1>(e) + "'"; };
  std::set<std::pair<std::string, std::string>> expected_names;
  for (const auto& e : expected) expected_names.emplace(std::get<0>(e), std::get<1>(e));
  std::set<std::pair<std::string, std::string>> actual_names;
  for (const auto& e : actual) actual_names.emplace(std::get<0>(e), std::get<1>(e));
  for (const auto& e : actual) {
    if (expected.count(e)) continue;
    if (expected_names.count({std::get<0>(e), std::get<1>(e)})) {
      out.push_back("the schema's " + name_of(e) + " is not defined as kms-migrate defines it");
    } else {
      out.push_back("the schema has an added " + name_of(e) + " (on '" + std::get<2>(e) +
                    "') that kms-migrate never creates");
    }
  }
  for (const auto& e : expected) {
    if (!actual_names.count({std::get<0>(e), std::get<1>(e)})) out.push_back("the schema lacks " + name_of(e));
  }
  return out;
}

void password_policy_differences(Db& db, Differences& out) {
  const std::string kind = "password_policy";
  std::map<std::string, std::string> expected;  // the seed: a handful of rows
  {
    Stmt q(fresh_schema(), "SELECT task, quote(passwords_required) FROM password_policy");
    while (q.step()) expected[q.text(0)] = q.text(1);
  }
  std::set<std::string> seen;
  Stmt q(db, "SELECT substr(CAST(task AS BLOB), 1, 257), quote(passwords_required) FROM password_policy");
  while (q.step()) {
    const std::string task = q.text(0);
    const auto it = expected.find(task);
    if (it == expected.end()) {
      out.add(kind, "password_policy has a row for '" + task + "' that the upgrade never writes");
    } else if (!seen.insert(task).second) {
      out.add(kind, "password_policy has more than one row for '" + task + "'");
    } else if (q.text(1) != it->second) {
      out.add(kind, "password_policy '" + task + "' requires " + q.text(1) + " password(s), not the " + it->second +
                        " the upgrade seeds");
    }
  }
  for (const auto& [task, n] : expected) {
    if (!seen.count(task)) out.add(kind, "password_policy has no row for '" + task + "' (seeded with " + n + ")");
  }
}

Meta read_meta(Db& db) {
  Meta m;
  // As bytes: a value with a NUL in it is read whole (SQLite's text functions would stop there).
  Stmt q(db,
         "SELECT substr(CAST(key AS BLOB), 1, 257), substr(CAST(ifnull(value, '') AS BLOB), 1, 4097) "
         "FROM migration_meta");
  while (q.step()) {
    std::string key = q.text(0);
    const bool ours = kFactKeys.count(key) || kRunKeys.count(key) || kPhaseKeys.count(key);
    if (!ours && m.values.size() >= kFactKeys.size() + kRunKeys.size() + kPhaseKeys.size() + Meta::kOtherKeys) {
      ++m.others_more;
      continue;
    }
    m.values[std::move(key)] = q.text(1);
  }
  return m;
}

namespace {
void run_fact_differences(const Meta& meta, const Counts& c, std::vector<std::string>& out);
}  // namespace

std::vector<std::string> meta_differences(const Meta& meta, const ExpectedMeta& e) {
  std::vector<std::string> out;
  const Counts& c = e.counts;
  const std::map<std::string, std::string> facts = {
      {"schema_version", std::to_string(kSchemaVersion)},
      {"content_digest", e.content_digest},
      {"store_digest", e.store_digest},
      {"files_seen", std::to_string(c.files_seen)},
      {"migrated", std::to_string(c.migrated)},
      {"normalized", std::to_string(c.normalized)},
      {"rejected", std::to_string(c.rejected)},
      {"skipped", std::to_string(c.skipped)},
      {"verified_passed", std::to_string(c.migrated + c.normalized)},
      {"verified_failed", "0"},
      {"max_record_size", std::to_string(e.max_record_size)},
  };
  for (const auto& [key, value] : facts) {
    const auto it = meta.find(key);
    if (it == meta.end())
      out.push_back("migration_meta has no " + key + " (the store implies " + value + ")");
    else if (key == "max_record_size" && it->second != value)
      out.push_back("the database records a limit of " + it->second + " bytes; this run uses " + value +
                    ": pass --max-record-size " + it->second + " if that is what the upgrade was told");
    else if (it->second != value)
      out.push_back("migration_meta " + key + " is " + it->second + "; the store implies " + value);
  }
  run_fact_differences(meta, c, out);
  for (const auto& [key, value] : meta) {
    if (facts.count(key) || kRunKeys.count(key) || kPhaseKeys.count(key)) continue;
    out.push_back("migration_meta has a key '" + key + "' that the tool never writes");
  }
  if (meta.others_more) {
    out.push_back("migration_meta has " + std::to_string(meta.others_more) + " more keys that the tool never writes");
  }
  return out;
}

namespace {

/// Facts of the run itself: present, and of the form the tool writes.
void run_fact_differences(const Meta& meta, const Counts& c, std::vector<std::string>& out) {
  const auto present = [&](const char* key) {
    const auto it = meta.find(key);
    if (it == meta.end() || it->second.empty()) out.push_back(std::string("migration_meta has no ") + key);
    return it == meta.end() ? std::string() : it->second;
  };
  for (const char* key : {"tool_version", "source", "target", "host", "operator"}) {
    if (!is_plain_text(present(key))) {
      out.push_back(std::string("migration_meta ") + key + " holds a NUL or is too long");
    }
  }
  for (const auto& key : kPhaseKeys) {
    const auto it = meta.find(key);
    if (it == meta.end()) {
      out.push_back("migration_meta has no " + key);
    } else if (!is_seconds(it->second)) {
      out.push_back("migration_meta " + key + " is not a time in seconds as the tool writes it");
    }
  }
  for (const char* key : {"started_at", "finished_at"}) {
    const std::string v = present(key);
    if (!v.empty() && !is_iso_time(v))
      out.push_back(std::string("migration_meta ") + key + " is not a time the tool writes");
  }
  const auto started = meta.find("started_at"), finished = meta.find("finished_at");
  if (started != meta.end() && finished != meta.end() && is_iso_time(started->second) &&
      is_iso_time(finished->second) && finished->second < started->second) {
    out.push_back("migration_meta finished_at is before started_at");
  }
  const std::string command = present("command");
  if (!command.empty() && command != command_name(Command::Upgrade) && command != command_name(Command::Rehearse)) {
    out.push_back("migration_meta command is '" + command + "', not upgrade or rehearse");
  }
  const std::string allow = present("allow_rejected");
  if (allow != "0" && allow != "1") out.push_back("migration_meta allow_rejected is neither 0 nor 1");
  if (allow == "0" && c.rejected > 0) {
    out.push_back("migration_meta says rejected records were not allowed (allow_rejected 0), but the store has " +
                  std::to_string(c.rejected) + " rejected file(s)");
  }
}

}  // namespace

}  // namespace kms::core
