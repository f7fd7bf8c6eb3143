// A handshake for the signal tests, so that none of them depends on timing.
#pragma once

namespace kms::core {

class CancelFlag;

/// Tests only: compiled into kms-migrate-test (test_stop_point.cpp); kms-migrate
/// has an empty one (test_stop_point_off.cpp). When $KMS_MIGRATE_TEST_STOP is "NAME:FIFO" and `name` is NAME,
/// the run writes "NAME\n" to the FIFO (the open waits until the test reads it),
/// then waits there until it is cancelled, or until the file "FIFO.continue"
/// exists (at most a minute): the test knows the
/// run stands at this very point when it sends its signal. Points: "reading",
/// "verifying" (the first file of each pass), "before-rename" (all checks done,
/// the report about to be completed, the database about to be renamed).
/// Without the variable, nothing happens.
void test_stop_point(const char* name, const CancelFlag* cancel);

}  // namespace kms::core
