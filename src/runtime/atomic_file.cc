#include "runtime/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "bnnkit/error.h"

namespace bnnkit::runtime {

void write_file_atomic(const std::string& path, std::string_view bytes, std::string_view what) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path tmp =
      target.parent_path() / (target.filename().string() + ".tmp." + std::to_string(::getpid()));
  int fd = -1;
  // errno is read first: close() and unlink() may change it.
  const auto fail = [&](const std::string& step) {
    const std::string msg =
        "cannot write " + std::string(what) + " '" + path + "': " + step + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(msg);
  };
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("open " + tmp.string());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;  // no progress and no error: do not loop forever
    if (n <= 0) fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) fail("close");
  if (::rename(tmp.c_str(), target.c_str()) != 0) fail("rename");
  // Make the rename itself durable. Some file systems cannot sync a folder (EINVAL); the data is synced.
  const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) fail("fsync of the folder");
  ::close(fd);
}

}  // namespace bnnkit::runtime
