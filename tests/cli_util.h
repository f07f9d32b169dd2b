// Runs the bnnkit command-line tool as a user would, for the tests that check its output and exit codes.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace bnnkit::testing {

struct CliResult {
  int code;         // exit status, -1 if the tool did not exit normally
  std::string out;  // stdout + stderr
};

// `args` is appended to the path of the built bnnkit binary and run through the shell.
inline CliResult cli(const std::string& args) {
  const std::string cmd = std::string(BNNKIT_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace bnnkit::testing
