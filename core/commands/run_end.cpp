#include "run_end.h"

#include <filesystem>
#include <new>

#include "sqlite_handle.h"

namespace kms::core {

void end_run_on_exception(RunResult& res, const CancelFlag* cancel, const FailureWords& words) {
  const bool cancelled = cancel && cancel->requested();
  try {
    throw;
  } catch (const Stop& s) {
    end_run(res, s.kind(), s.kind() == ExitCode::Cancelled ? words.cancelled : s.message());
  } catch (const DbError& e) {
    if (is_interrupt(e) && cancelled) {
      end_run(res, ExitCode::Cancelled, words.cancelled);
    } else {
      // A failure of the system under SQLite is exit 3 whatever the command calls a database error.
      end_run(res, is_system_failure(e.code()) ? ExitCode::Internal : words.database_kind,
              words.database + e.what() + (words.database_detail ? words.database_detail(e.code()) : ""));
    }
  } catch (const SystemError& e) {
    end_run(res, ExitCode::Internal, words.other + e.what());
  } catch (const InternalError& e) {
    end_run(res, ExitCode::Internal, words.other + "internal error: " + e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    end_run(res, words.store.empty() ? ExitCode::Internal : ExitCode::Usage,
            (words.store.empty() ? words.other : words.store) + e.what());
  } catch (const std::bad_alloc&) {
    end_run(res, ExitCode::Internal,
            words.other + "out of memory (raise the memory limit, ulimit -v, or use fewer workers, --jobs)");
  } catch (const std::exception& e) {
    end_run(res, ExitCode::Internal, words.other + e.what());
  } catch (...) {
    end_run(res, ExitCode::Internal, words.other + "an exception of an unknown type");
  }
}

}  // namespace kms::core
