// Runs the bnnkit command-line tool as a user would, for the tests that check its output and exit codes.
#pragma once

#include <sys/wait.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bnnkit/graph.h"
#include "zoo/zoo.h"

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

// A fresh scratch folder per test process: <tmp>/bnnkit_<tag>_<pid>.
inline std::filesystem::path make_work_dir(const std::string& tag) {
  std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("bnnkit_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(p);
  return p;
}

// The zoo architecture `arch` saved as <dir>/<arch>.bnn (written once), for commands that take a file.
inline std::string zoo_model_file(const std::filesystem::path& dir, const std::string& arch) {
  const std::filesystem::path p = dir / (arch + ".bnn");
  if (!std::filesystem::exists(p)) save_model(zoo::build(arch), p.string());
  return p.string();
}

}  // namespace bnnkit::testing
