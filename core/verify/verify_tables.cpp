#include "verify_tables.h"

#include <set>
#include <tuple>

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

bool is_iso_time(const std::string& s) {
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
    return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool is_seconds(const std::string& s) {
  if (s.empty()) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot)
      dot = true;
    else if (c < '0' || c > '9')
      return false;
  }
  return true;
}

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

std::vector<std::string> password_policy_differences(Db& db) {
  const auto rows = [](Db& d) {
    std::map<std::string, std::string> out;
    Stmt q(d, "SELECT task, quote(passwords_required) FROM password_policy");
    while (q.step()) out[q.text(0)] = q.text(1);
    return out;
  };
  const auto expected = rows(fresh_schema());
  const auto actual = rows(db);
  std::vector<std::string> out;
  for (const auto& [task, n] : expected) {
    const auto it = actual.find(task);
    if (it == actual.end())
      out.push_back("password_policy has no row for '" + task + "' (seeded with " + n + ")");
    else if (it->second != n)
      out.push_back("password_policy '" + task + "' requires " + it->second + " password(s), not the " + n +
                    " the upgrade seeds");
  }
  for (const auto& [task, n] : actual) {
    if (!expected.count(task))
      out.push_back("password_policy has a row for '" + task + "' that the upgrade never writes");
  }
  return out;
}

Meta read_meta(Db& db) {
  Meta m;
  Stmt q(db, "SELECT key, ifnull(value, '') FROM migration_meta");
  while (q.step()) m[q.text(0)] = q.text(1);
  return m;
}

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
  // Facts of the run itself: present, and of the form the tool writes.
  const auto present = [&](const char* key) {
    const auto it = meta.find(key);
    if (it == meta.end() || it->second.empty()) out.push_back(std::string("migration_meta has no ") + key);
    return it == meta.end() ? std::string() : it->second;
  };
  for (const char* key : {"tool_version", "source", "target", "host", "operator"}) present(key);
  for (const char* key : {"started_at", "finished_at"}) {
    const std::string v = present(key);
    if (!v.empty() && !is_iso_time(v))
      out.push_back(std::string("migration_meta ") + key + " is not a time the tool writes");
  }
  const std::string command = present("command");
  if (!command.empty() && command != "upgrade" && command != "rehearse") {
    out.push_back("migration_meta command is '" + command + "', not upgrade or rehearse");
  }
  const std::string allow = present("allow_rejected");
  if (allow != "0" && allow != "1") out.push_back("migration_meta allow_rejected is neither 0 nor 1");
  if (allow == "0" && c.rejected > 0) {
    out.push_back("migration_meta says rejected records were not allowed (allow_rejected 0), but the store has " +
                  std::to_string(c.rejected) + " rejected file(s)");
  }
  for (const auto& [key, value] : meta) {
    if (facts.count(key)) continue;
    static const std::set<std::string> run_keys = {"tool_version", "source",   "target",
                                                   "host",         "operator", "started_at",
                                                   "finished_at",  "command",  "allow_rejected"};
    if (run_keys.count(key)) continue;
    if (key.rfind("seconds_", 0) == 0 && is_seconds(value)) continue;  // the time of each phase
    out.push_back("migration_meta has a key '" + key + "' that the tool never writes");
  }
  return out;
}

}  // namespace kms::core
