// Changes made late in a run, after the first re-check of the store: while the
// report is written, while SQLite checks the file, during the sync, just before
// the rename (docs/commands.md, "System errors": a file that changed while the run read it). The run looks at
// the store once more as its last step and commits nothing that was not what it
// read; a file that appears at the output meanwhile is never replaced.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include "test_util.h"

namespace kms::test {
namespace {

/// The record files of `clients`, in name order.
std::vector<fs::path> records(const fs::path& clients) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(clients)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

class LateChanges : public ::testing::Test {
 protected:
  TempDir tmp;
  int made = 0;
  /// A new store of 30 records for each run (the runs change it).
  fs::path fresh_store() { return generated_store(tmp / ("store" + std::to_string(++made)), 30); }
  static std::vector<std::string> ours(const fs::path& folder) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(folder)) {
      const std::string n = e.path().filename().string();
      if (n.find("kms-migrate") != std::string::npos) out.push_back(n);
    }
    return out;
  }
};

/// Each way of changing a record or the folder without changing what a listing
/// of names shows, and the ways that do.
std::vector<std::pair<std::string, std::function<void(const fs::path&, const fs::path&)>>> changes() {
  return {
      {"touched", [](const fs::path& c, const fs::path&) { ::utimensat(AT_FDCWD, records(c)[3].c_str(), nullptr, 0); }},
      {"made unreadable", [](const fs::path& c, const fs::path&) { ::chmod(records(c)[5].c_str(), 0); }},
      {"given a second name elsewhere",
       [](const fs::path& c, const fs::path& spare) {
         ASSERT_EQ(::link(records(c)[7].c_str(), (spare / "other-name.ini").c_str()), 0);
       }},
      {"replaced by a link to a copy of itself",
       [](const fs::path& c, const fs::path& spare) {
         const fs::path f = records(c)[9];
         fs::copy_file(f, spare / "copy.ini");
         fs::remove(f);
         fs::create_symlink(spare / "copy.ini", f);
       }},
      {"replaced by the same bytes, size and time",
       [](const fs::path& c, const fs::path& spare) {
         const fs::path f = records(c)[11];
         struct stat st {};
         ::stat(f.c_str(), &st);
         fs::copy_file(f, spare / "same.ini");
         const timespec times[2] = {st.st_atim, st.st_mtim};
         ::utimensat(AT_FDCWD, (spare / "same.ini").c_str(), times, 0);
         fs::rename(spare / "same.ini", f);
       }},
      {"added", [](const fs::path& c,
                   const fs::path&) { write_file(c / "Mlatelatelate.ini", "[Client]\r\nMailboxDN=/o=C/cn=late\r\n"); }},
      {"removed", [](const fs::path& c, const fs::path&) { fs::remove(records(c)[13]); }},
      {"the Clients folder replaced by a copy",
       [](const fs::path& c, const fs::path&) {
         fs::rename(c, c.parent_path() / "Clients.old");
         fs::copy(c.parent_path() / "Clients.old", c);
       }},
  };
}

TEST_F(LateChanges, TheStoreIsLookedAtOnceMoreJustBeforeTheCommit) {
  for (const std::string point : {"report", "integrity check", "fsync and rename", "before-rename"}) {
    for (const auto& [what, change] : changes()) {
      SCOPED_TRACE(what + " at " + point);
      const fs::path src = fresh_store(), out = tmp / "out", spare = tmp / "spare";
      fs::create_directories(out);
      fs::create_directories(spare);
      const fs::path c = src / "Mgrent" / "Clients", db = out / "kms55.db";
      const auto r = with_change_at(tmp.path(),
                                    {"upgrade", "--yes", "--progress", "always", "--jobs", "1", "--source",
                                     src.string(), "--target", db.string(), "--report", (out / "r.jsonl").string()},
                                    point, [&, &change = change] { change(c, spare); });
      EXPECT_EQ(r.exit_code, 1) << r.out;
      EXPECT_NE(r.out.find("source changed during the run"), std::string::npos) << r.out;
      EXPECT_FALSE(fs::exists(db)) << r.out;
      EXPECT_EQ(ours(out), std::vector<std::string>{}) << r.out;
      EXPECT_EQ(read_jsonl(out / "r.jsonl").back()["status"], "failed") << r.out;
      fs::remove_all(out);
      fs::remove_all(spare);
    }
  }
}

// The rehearsal's --keep-db copy is its output: made beside the name, put in
// place last, and not at all when the store changed before that.
TEST_F(LateChanges, ARehearsalKeepsNoCopyOfAStoreThatChanged) {
  for (const auto& [what, change] : changes()) {
    SCOPED_TRACE(what);
    const fs::path src = fresh_store(), out = tmp / "out", spare = tmp / "spare";
    fs::create_directories(out);
    fs::create_directories(spare);
    const fs::path kept = out / "kept.db";
    const auto r = with_change_at(
        tmp.path(), {"rehearse", "--progress", "always", "--source", src.string(), "--keep-db", kept.string()},
        "before-rename", [&, &change = change] { change(src / "Mgrent" / "Clients", spare); });
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("source changed during the run"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(fs::symlink_status(kept))) << r.out;
    EXPECT_EQ(ours(out), std::vector<std::string>{}) << r.out;
    fs::remove_all(out);
    fs::remove_all(spare);
  }
}

// A file, or a link, made at the target (without --force) or at --keep-db
// while the run went on: left as it is, and the run says so (exit 2).
TEST_F(LateChanges, AFileThatAppearsAtTheOutputIsNeverReplaced) {
  const fs::path src = fresh_store(), out = tmp / "out";
  fs::create_directories(out);
  const fs::path victim = tmp / "victim.txt";
  for (const std::string cmd : {"upgrade", "rehearse"}) {
    for (const std::string kind : {"a file", "a link"}) {
      SCOPED_TRACE(cmd + ", " + kind);
      const fs::path name = out / "kms55.db";
      write_file(victim, "someone else's");
      std::vector<std::string> args = {cmd, "--progress", "always", "--source", src.string()};
      if (cmd == "upgrade") {
        args.insert(args.end(), {"--yes", "--target", name.string()});
      } else {
        args.insert(args.end(), {"--keep-db", name.string()});
      }
      const auto r = with_change_at(tmp.path(), args, "report", [&] {
        if (kind == "a file") {
          write_file(name, "someone else's");
        } else {
          fs::create_symlink(victim, name);
        }
      });
      EXPECT_EQ(r.exit_code, 2) << r.out;
      EXPECT_NE(r.out.find("'" + name.string() + "' appeared during the run; it was left as it is"), std::string::npos)
          << r.out;
      EXPECT_TRUE(read_file(name) == "someone else's") << r.out;
      EXPECT_EQ(read_file(victim), "someone else's") << r.out;
      EXPECT_EQ(ours(out), std::vector<std::string>{}) << r.out;
      fs::remove(name);
    }
  }
}

// --force replaces the target seen at the start, and only that file: one put
// in its place during the run (a file, a link) is left as it is.
TEST_F(LateChanges, AForcedUpgradeReplacesOnlyTheFileItSaw) {
  const fs::path src = fresh_store(), out = tmp / "out", db = out / "t.db", victim = tmp / "victim.txt";
  fs::create_directories(out);
  for (const std::string kind : {"unchanged", "a file", "a link", "removed"}) {
    SCOPED_TRACE(kind);
    write_file(db, "the old target");
    write_file(victim, "someone else's");
    const auto r = with_change_at(
        tmp.path(),
        {"upgrade", "--yes", "--force", "--progress", "always", "--source", src.string(), "--target", db.string()},
        "report", [&] {
          if (kind == "unchanged") return;
          fs::remove(db);
          if (kind == "a file") write_file(db, "someone else's");
          if (kind == "a link") fs::create_symlink(victim, db);
        });
    if (kind == "unchanged" || kind == "removed") {
      EXPECT_EQ(r.exit_code, 0) << r.out;
      EXPECT_EQ(run_process(KMS_MIGRATE_BIN, {"verify", "--source", src.string(), "--target", db.string()}).exit_code,
                0);
    } else {
      EXPECT_EQ(r.exit_code, 2) << r.out;
      EXPECT_NE(r.out.find("'" + db.string() + "' was replaced by another file during the run; it was left as it is"),
                std::string::npos)
          << r.out;
      EXPECT_TRUE(read_file(db) == "someone else's") << "the file put there was replaced";
    }
    EXPECT_EQ(read_file(victim), "someone else's");
    EXPECT_EQ(ours(out), std::vector<std::string>{}) << r.out;
    fs::remove(db);
  }
}

// A report name taken by a folder during the run: a rehearsal (which commits
// nothing) has then failed, says so last, and keeps no --keep-db copy; the
// reports that could be put in place say failed too. A committed upgrade is exit 4.
TEST_F(LateChanges, AReportThatCannotBePutInPlaceFailsARehearsal) {
  const fs::path src = fresh_store(), out = tmp / "out";
  for (const std::string cmd : {"rehearse", "upgrade"}) {
    SCOPED_TRACE(cmd);
    fs::create_directories(out);
    const fs::path kept = out / "k.db", a = out / "a.jsonl", b = out / "b.html";
    std::vector<std::string> args = {cmd,        "--progress", "always",   "--source", src.string(),
                                     "--report", a.string(),   "--report", b.string()};
    if (cmd == "rehearse") {
      args.insert(args.end(), {"--keep-db", kept.string()});
    } else {
      args.insert(args.end(), {"--yes", "--target", kept.string()});
    }
    const auto r = with_change_at(tmp.path(), args, "before-rename", [&] { fs::create_directory(b); });
    const std::string last = r.out.substr(r.out.rfind("kms-migrate " + cmd + ":"));
    if (cmd == "rehearse") {
      EXPECT_EQ(r.exit_code, 3) << r.out;
      EXPECT_EQ(last.rfind("kms-migrate rehearse: failed", 0), 0u) << r.out;
      EXPECT_NE(last.find("cannot put the report in place as '" + b.string() + "'"), std::string::npos) << r.out;
      EXPECT_NE(read_jsonl(a).back()["message"].get<std::string>().find("is now a folder"), std::string::npos);
      EXPECT_FALSE(fs::exists(kept)) << r.out;
      ASSERT_TRUE(fs::exists(a)) << r.out;
      EXPECT_EQ(read_jsonl(a).back()["status"], "failed");
    } else {
      EXPECT_EQ(r.exit_code, 4) << r.out;
      EXPECT_TRUE(fs::exists(kept)) << r.out;
      EXPECT_EQ(read_jsonl(a).back()["status"], "succeeded");
    }
    fs::remove_all(out);
  }
}

/// The entry of `folder` whose name starts with `prefix` (the run's private folder).
fs::path entry_starting(const fs::path& folder, const std::string& prefix) {
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path();
  }
  return {};
}

/// What another user who can write to `out` can do to the run's private folder
/// for `name`: rename it away and plant, at its name, a folder holding their
/// own `name` (copied from `theirs`), or a link to `theirs`.
void plant_at(const fs::path& out, const std::string& name, const fs::path& theirs, const std::string& how) {
  const fs::path own = entry_starting(out, "." + name + ".kms-migrate-");
  ASSERT_FALSE(own.empty());
  fs::rename(own, out / "moved-away");
  if (how == "a folder") {
    fs::create_directory(own);
    fs::copy_file(theirs / name, own / name);
  } else {
    fs::create_directory_symlink(theirs, own);
  }
}

// The temporary database lives in a private folder and is reached through that
// folder's descriptor: a folder of the same name planted in its place (with a
// file, or as a link to a folder holding one) is never what is committed.
TEST_F(LateChanges, TheTemporaryDatabaseCannotBeSwappedByName) {
  for (const std::string point : {"verifying", "report", "integrity check", "before-rename"}) {
    for (const std::string how : {"a folder", "a link to a folder"}) {
      SCOPED_TRACE(how + " at " + point);
      const fs::path src = fresh_store(), out = tmp / "out", db = out / "t.db", theirs = tmp / "theirs";
      fs::create_directories(out);
      fs::create_directories(theirs);
      write_file(theirs / "t.db", "not a database");
      const auto r = with_change_at(
          tmp.path(), {"upgrade", "--yes", "--progress", "always", "--source", src.string(), "--target", db.string()},
          point, [&] { plant_at(out, "t.db", theirs, how); });
      EXPECT_EQ(r.exit_code, 0) << r.out;
      ASSERT_TRUE(fs::is_regular_file(fs::symlink_status(db))) << r.out;
      EXPECT_TRUE(read_file(db) != "not a database");
      EXPECT_EQ(fs::status(db).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
      const auto v = run_process(KMS_MIGRATE_BIN, {"verify", "--source", src.string(), "--target", db.string()});
      EXPECT_EQ(v.exit_code, 0) << v.out;
      EXPECT_EQ(read_file(theirs / "t.db"), "not a database");
      fs::remove_all(out);
      fs::remove_all(theirs);
    }
  }
}

// Each report too is built in a private folder and put in place through its
// descriptor: a forged report planted at the folder's name is never published.
TEST_F(LateChanges, AReportCannotBeSwappedByName) {
  for (const std::string how : {"a folder", "a link to a folder"}) {
    SCOPED_TRACE(how);
    const fs::path src = fresh_store(), out = tmp / "out", theirs = tmp / "theirs", report = out / "r.jsonl";
    fs::create_directories(out);
    fs::create_directories(theirs);
    write_file(theirs / "r.jsonl", "{\"type\":\"summary\",\"status\":\"forged\"}\n");
    const auto r = with_change_at(
        tmp.path(), {"rehearse", "--progress", "always", "--source", src.string(), "--report", report.string()},
        "before-rename", [&] { plant_at(out, "r.jsonl", theirs, how); });
    EXPECT_EQ(r.exit_code, 0) << r.out;
    ASSERT_TRUE(fs::is_regular_file(fs::symlink_status(report))) << r.out;
    const auto lines = read_jsonl(report);
    EXPECT_EQ(lines.size(), 31u);
    EXPECT_EQ(lines.back()["status"], "succeeded");
    EXPECT_TRUE(fs::exists(theirs / "r.jsonl"));
    fs::remove_all(out);
    fs::remove_all(theirs);
  }
}

// A run that is alive keeps its temporary, even when its lock file was taken
// away and another run of the same target came and went meanwhile.
TEST_F(LateChanges, ALiveRunsTemporaryIsNeverRemoved) {
  const fs::path src = fresh_store(), out = tmp / "out", db = out / "t.db";
  fs::create_directories(out);
  const std::vector<std::string> args = {"upgrade",  "--yes",      "--progress", "always",
                                         "--source", src.string(), "--target",   db.string()};
  ProcessResult second;
  const auto first = with_change_at(tmp.path(), args, "report", [&] {
    fs::remove(out / ".t.db.kms-migrate.lock");
    second = run_process(KMS_MIGRATE_BIN, args);
  });
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_EQ(second.out.find("removed the temporary"), std::string::npos) << second.out;
  // The first finds the target made meanwhile: left alone, never replaced, never a failure to read its own file.
  EXPECT_EQ(first.exit_code, 2) << first.out;
  EXPECT_NE(first.out.find("appeared during the run"), std::string::npos) << first.out;
  EXPECT_EQ(ours(out), std::vector<std::string>{}) << first.out;
}

// What the clean-up of dead runs removes is exactly what a run makes: a folder
// of this user's that merely carries such a name (another user may rename one
// to it) keeps whatever else it holds.
TEST_F(LateChanges, TheCleanUpRemovesOnlyWhatARunMakes) {
  const fs::path src = fresh_store(), out = tmp / "out";
  fs::create_directories(out);
  const fs::path renamed = out / ".t.db.kms-migrate-2147483646-abcdef",
                 stale = out / ".t.db.kms-migrate-2147483645-ghijkl";
  fs::create_directories(renamed / "sub");
  write_file(renamed / "keys.bak", "SECRET");
  write_file(renamed / "t.db", "x");
  fs::create_directories(stale);
  fs::permissions(stale, fs::perms::owner_all, fs::perm_options::replace);
  write_file(stale / "t.db", "a killed run's database");
  write_file(stale / "t.db-journal", "");
  const auto r =
      run_process(KMS_MIGRATE_BIN, {"upgrade", "--yes", "--source", src.string(), "--target", (out / "t.db").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(read_file(renamed / "keys.bak"), "SECRET");
  EXPECT_TRUE(fs::is_directory(renamed / "sub"));
  EXPECT_FALSE(fs::exists(stale)) << r.out;
  EXPECT_NE(r.out.find(".t.db.kms-migrate-2147483645-ghijkl"), std::string::npos) << r.out;
}

// An output named like another's temporary ("t.db.kms-migrate-999999-x") is
// another output: a run of t.db leaves its private folder and lock alone.
TEST_F(LateChanges, AnOutputNamedLikeATemporaryIsNotOne) {
  const fs::path src = fresh_store(), out = tmp / "out";
  fs::create_directories(out);
  const fs::path odd = out / "t.db.kms-migrate-999999-x", db = out / "t.db";
  ProcessResult second;
  const auto first = with_change_at(
      tmp.path(), {"upgrade", "--yes", "--progress", "always", "--source", src.string(), "--target", odd.string()},
      "report", [&] {
        second = run_process(KMS_MIGRATE_BIN, {"upgrade", "--yes", "--source", src.string(), "--target", db.string()});
      });
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_EQ(second.out.find("removed the temporary"), std::string::npos) << second.out;
  EXPECT_EQ(first.exit_code, 0) << first.out;
  EXPECT_TRUE(fs::is_regular_file(odd));
  EXPECT_EQ(ours(out), std::vector<std::string>{"t.db.kms-migrate-999999-x"}) << first.out;
}

}  // namespace
}  // namespace kms::test
