#include "failure.h"

#include <cerrno>
#include <cstring>

namespace kms::core {

const char* errno_advice(int e) {
  switch (e) {
    case EMFILE:
      return "raise the limit of open files: ulimit -n";
    case ENFILE:
      return "the system's table of open files is full";
    case EACCES:
    case EPERM:
      return "run as a user allowed to use it, or correct its permissions";
    case EIO:
      return "an I/O error: check the disk or the network share, then copy the store again";
    case ESTALE:
      return "a network file handle went stale: copy the store to a local disk";
    case ENOMEM:
      return "out of memory";
    case ENOSPC:
      return "the file system is full";
    case EDQUOT:
      return "the disk quota is used up";
    case EFBIG:
      return "the file-size limit (ulimit -f) or the file system's largest file";
    case EAGAIN:
      return "too many processes or threads for this user (ulimit -u), or too little memory (ulimit -v)";
    case EROFS:
      return "the file system is read-only";
    default:
      return "";
  }
}

bool is_path_fault(int e) {
  switch (e) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case EACCES:
    case EPERM:
    case EROFS:
    case ELOOP:
    case ENAMETOOLONG:
    case EEXIST:
      return true;
    default:
      return false;
  }
}

void throw_path_failure(const std::string& operation, const std::string& path, int e, const std::string& usage_words) {
  SystemError err(operation, path, e);
  if (is_path_fault(e)) throw Stop(ExitCode::Usage, usage_words + err.what());
  throw err;
}

SystemError::SystemError(std::string operation, std::string path, int error_number)
    : operation_(std::move(operation)), path_(std::move(path)), errno_(error_number) {
  message_ = "cannot " + operation_ + (path_.empty() ? std::string() : " '" + path_ + "'") + ": " +
             std::strerror(error_number);
  const char* advice = errno_advice(error_number);
  if (*advice) message_ += std::string(" (") + advice + ")";
}

}  // namespace kms::core
