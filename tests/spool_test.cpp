// The temporary-file structures that keep a million records out of memory:
// TempSpool, ExternalSort, the summary codec, SummarySpool with the cross-file
// rules, and the streamed content digest. Each is held to the in-memory way
// it replaces, on inputs large enough to spill to disk.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

#include "content_digest.h"
#include "cross_checks.h"
#include "external_sort.h"
#include "sorted_strings.h"
#include "store_walker.h"
#include "summary_codec.h"
#include "summary_spool.h"
#include "temp_spool.h"

namespace kms::core {
namespace {

TEST(TempSpool, RecordsComeBackInOrderWhateverTheirSize) {
  TempSpool spool;
  std::vector<std::string> records{"", "a", std::string(300 * 1024, 'x'), "tail"};  // one past the buffer
  for (int i = 0; i < 1000; ++i) records.push_back("record " + std::to_string(i));
  for (const auto& r : records) spool.append_record(r);
  for (int pass = 0; pass < 2; ++pass) {
    TempSpool::Reader reader(spool);
    std::string got;
    for (std::size_t i = 0; i < records.size(); ++i) {
      ASSERT_TRUE(reader.next_record(got)) << "record " << i << " of pass " << pass;
      EXPECT_EQ(got, records[i]) << "record " << i;
    }
    EXPECT_FALSE(reader.next_record(got));
  }
}

TEST(TempSpool, ReadsAndOverwritesAtAnOffset) {
  TempSpool spool;
  for (std::uint32_t i = 0; i < 100000; ++i) spool.append(&i, sizeof i);
  std::uint32_t v = 0;
  ASSERT_TRUE(spool.read_at(4 * 77777, &v, sizeof v));
  EXPECT_EQ(v, 77777u);
  const std::uint32_t w = 5;
  spool.write_at(4 * 77777, &w, sizeof w);
  ASSERT_TRUE(spool.read_at(4 * 77777, &v, sizeof v));
  EXPECT_EQ(v, 5u);
  EXPECT_FALSE(spool.read_at(4 * 100000, &v, sizeof v));  // the end
}

TEST(ExternalSort, ManyRunsMergeToWhatStdSortGives) {
  for (const std::size_t n : {0u, 1u, 999u, 1000u, 1001u, 123457u}) {
    std::mt19937_64 rng(n);
    std::vector<std::uint64_t> items(n);
    for (auto& x : items) x = rng() % 5000;    // many equal items
    ExternalSort<std::uint64_t> sorter(1000);  // n / 1000 runs on disk
    for (auto x : items) sorter.add(x);
    EXPECT_EQ(sorter.size(), n);
    std::vector<std::uint64_t> got;
    sorter.each_sorted([&](std::uint64_t x) { got.push_back(x); });
    std::sort(items.begin(), items.end());
    EXPECT_EQ(got, items) << n << " items";
  }
}

TEST(SortedStrings, ManyNamesComeBackSortedWithTheirTagsFromAnyThread) {
  // 4,000 names of 5-40 bytes: about 90 KiB in runs of 32 KiB, so three sorted runs are merged.
  std::mt19937 rng(3);
  std::vector<std::pair<std::string, std::uint8_t>> names;
  SortedStrings sorted(32 * 1024);
  for (int i = 0; i < 4000; ++i) {
    std::string name(5 + rng() % 36, 'a');
    for (char& c : name)
      c = static_cast<char>(rng() % 2 ? 'a' + rng() % 26 : 0x80 + rng() % 128);  // bytes above 0x7F too
    const auto tag = static_cast<std::uint8_t>(rng() % 5);
    names.emplace_back(name, tag);
    sorted.add(name, tag);
  }
  sorted.finish();
  std::stable_sort(names.begin(), names.end(),
                   [](const auto& a, const auto& b) { return std::string_view(a.first) < std::string_view(b.first); });
  ASSERT_EQ(sorted.size(), names.size());
  EXPECT_EQ(sorted.runs_merged(), 3u);
  std::vector<std::size_t> bad(2, 0);
  const auto check = [&](int self) {  // two threads, interleaved blocks
    for (std::size_t i = static_cast<std::size_t>(self); i < names.size(); i += 2) {
      if (sorted.at(i).first != names[i].first) ++bad[static_cast<std::size_t>(self)];
    }
  };
  std::thread other(check, 1);
  check(0);
  other.join();
  EXPECT_EQ(bad[0] + bad[1], 0u);
  for (std::size_t i : {std::size_t{0}, std::size_t{1023}, std::size_t{1024}, names.size() - 1}) {
    EXPECT_EQ(sorted.at(i).first, names[i].first) << "name " << i;
    EXPECT_EQ(sorted.at(i).second, names[i].second) << "tag of name " << i;
  }
  EXPECT_THROW((void)sorted.at(names.size()), InternalError);
  SortedStrings empty;
  empty.finish();
  EXPECT_EQ(empty.size(), 0u);
}

FileSummary full_summary() {
  FileSummary f;
  f.path = "M0123456789ab.ini";
  f.record_id = "m0123456789ab";
  f.outcome = RecordOutcome::Normalized;
  add_issue(f.issues, IssueId::RecoveryNeverEnrolled, "a message with \xC3\xA9 and \n", 7);
  add_issue(f.issues, IssueId::DuplicateMailbox, "", 0);
  f.size = 1234567890123;
  f.sha256 = std::string(64, 'f');
  f.stamp = FileStamp{-5, -1700000000123456789};
  f.mailbox_dn = MailboxField::of("/o=Contoso/cn=UserToken#K4PN2MBTRQX7");  // a cut name: its digest travels too
  f.alias = MailboxField::of("user");
  f.mailbox_line = 2;
  f.legacy_state = -1;
  f.state = ClientState::New;
  f.written_digest = std::array<std::uint8_t, 32>{1, 2, 3, 255};
  return f;
}

void expect_same(const FileSummary& a, const FileSummary& b) {
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.record_id, b.record_id);
  EXPECT_EQ(a.outcome, b.outcome);
  ASSERT_EQ(a.issues.size(), b.issues.size()) << a.path;
  for (std::size_t i = 0; i < a.issues.size(); ++i) {
    EXPECT_EQ(a.issues[i].severity, b.issues[i].severity);
    EXPECT_EQ(a.issues[i].code, b.issues[i].code);
    EXPECT_EQ(a.issues[i].message, b.issues[i].message);
    EXPECT_EQ(a.issues[i].line, b.issues[i].line);
  }
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.stamp.has_value(), b.stamp.has_value());
  if (a.stamp && b.stamp) {
    EXPECT_TRUE(*a.stamp == *b.stamp);
  }
  EXPECT_EQ(a.mailbox_dn.text, b.mailbox_dn.text);
  EXPECT_EQ(a.mailbox_dn.key, b.mailbox_dn.key);
  EXPECT_EQ(a.alias.text, b.alias.text);
  EXPECT_EQ(a.alias.key, b.alias.key);
  EXPECT_EQ(a.mailbox_line, b.mailbox_line);
  EXPECT_EQ(a.legacy_state, b.legacy_state);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.written_digest, b.written_digest);
}

TEST(SummaryCodec, EveryFieldComesBack) {
  for (const FileSummary& f : {full_summary(), FileSummary{}}) {
    std::string bytes;
    encode_summary(bytes, f);
    std::string_view in(bytes);
    expect_same(decode_summary(in), f);
    EXPECT_TRUE(in.empty());
    std::string_view cut(bytes.data(), bytes.size() - 1);
    EXPECT_THROW((void)decode_summary(cut), InternalError);
  }
}

/// Files with record ids and MailboxDNs drawn from small pools, so that many
/// share one (in another case too), and a few have none.
std::vector<FileSummary> crowded_store(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<FileSummary> files(n);
  for (std::size_t i = 0; i < n; ++i) {
    FileSummary& f = files[i];
    const unsigned id = rng() % (n * 4);
    char name[32];
    std::snprintf(name, sizeof name, "%c%012u.ini", rng() % 8 ? 'M' : 'm', id);
    f.path = name;
    f.record_id = rng() % 50 ? "m" + std::string(name + 1, 12) : "";
    const unsigned dn = rng() % (n * 2);
    // Every fifth DN is cut by the shown-field rule: all of those show alike,
    // and only what was hidden tells them apart.
    const std::string cn = dn % 5 ? std::to_string(dn) : "token-" + std::to_string(dn);
    f.mailbox_dn = MailboxField::of(rng() % 40 ? (rng() % 2 ? "/o=X/cn=u" : "/O=x/CN=U") + cn : "");
    f.mailbox_line = 1 + static_cast<int>(rng() % 3);
    f.outcome = RecordOutcome::Migrated;
  }
  std::sort(files.begin(), files.end(), [](const FileSummary& a, const FileSummary& b) { return a.path < b.path; });
  return files;
}

TEST(SummarySpool, CrossFileRulesGiveWhatTheInMemoryRulesGive) {
  for (const std::size_t n : {5u, 2000u, 70000u}) {  // 70,000 files: 140,000 keys, sorted in three runs
    std::vector<FileSummary> expected = crowded_store(n, static_cast<unsigned>(n));
    SummarySpool spool;
    for (std::size_t i = 0; i < expected.size(); ++i) spool.append(expected[i], "extra " + std::to_string(i));
    apply_cross_file_rules(expected);
    const std::vector<std::size_t> changed = spool.apply_cross_file_rules();
    std::size_t rejected = 0, k = 0;
    spool.each([&](std::size_t i, FileSummary& f, std::string_view extra) {
      ASSERT_EQ(i, k++);
      EXPECT_EQ(extra, "extra " + std::to_string(i));
      expect_same(f, expected[i]);
      if (f.outcome == RecordOutcome::Rejected) {
        ++rejected;
        EXPECT_TRUE(std::binary_search(changed.begin(), changed.end(), i)) << f.path;
      }
    });
    EXPECT_EQ(k, n);
    EXPECT_EQ(rejected, changed.size()) << n << " files";
    if (n > 100) {
      EXPECT_GT(rejected, n / 20) << "the store is crowded enough to test the rules";
    }
  }
}

RecordDigest digest_of(unsigned i) {
  RecordDigest d{};
  d[0] = static_cast<std::uint8_t>(i);
  d[1] = static_cast<std::uint8_t>(i >> 8);
  d[2] = static_cast<std::uint8_t>(i >> 16);
  return d;
}

TEST(ContentDigest, StreamedInAnyOrderGivesTheDigestOfTheSortedRecords) {
  // Names in path (bytewise) order: the lower-case ones after all the upper-case
  // ones, so that record id order differs from it in the second store.
  for (const bool mixed_case : {false, true}) {
    std::vector<std::string> names;
    for (unsigned i = 0; i < 100000; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%c%012u.ini", mixed_case && i % 3 == 0 ? 'm' : 'M', i);
      names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    ContentDigest reference;  // every id and digest in memory, sorted
    for (unsigned i = 0; i < names.size(); ++i) reference.add(record_id_of_name(names[i]), digest_of(i));
    const std::string expected = reference.hex();
    int calls = 0;
    const std::string got = content_digest_streamed([&](const DigestVisitor& visit) {
      ++calls;
      for (std::uint32_t i = 0; i < names.size(); ++i) visit(record_id_part(names[i]), digest_of(i));
    });
    EXPECT_EQ(got, expected) << (mixed_case ? "mixed case" : "one case");
    EXPECT_EQ(calls, mixed_case ? 2 : 1);
  }
}

}  // namespace
}  // namespace kms::core
