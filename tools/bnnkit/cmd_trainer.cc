// `bnnkit train` / `bnnkit export` / `bnnkit compare`: forwarded to the LibTorch trainer binary
// `bnnkit-train` that is built next to `bnnkit` (when LibTorch is available), so the engine's own commands
// start without loading LibTorch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "bnnkit/error.h"
#include "commands.h"

namespace bnnkit::cli {
namespace {

[[noreturn]] void exec_trainer(const std::string& argv0, const std::string& sub,
                               const std::vector<std::string>& rest) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) self = fs::absolute(argv0, ec);
  const fs::path trainer = self.parent_path() / "bnnkit-train";
  if (!fs::exists(trainer, ec))
    throw Error("'bnnkit " + sub + "' needs the trainer '" + trainer.string() +
                "', which was not built (configure with LibTorch: apt-get install libtorch-dev)");
  std::vector<std::string> args{trainer.string(), sub};
  args.insert(args.end(), rest.begin(), rest.end());
  std::vector<char*> cargs;
  for (auto& s : args) cargs.push_back(s.data());
  cargs.push_back(nullptr);
  ::execv(trainer.c_str(), cargs.data());
  throw Error("cannot start '" + trainer.string() + "': " + std::strerror(errno));
}

void forward(CLI::App& app, const std::string& argv0, const char* name, const char* help) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->prefix_command();  // everything after the name goes to the trainer untouched (including --help)
  cmd->set_help_flag();
  cmd->callback([cmd, argv0, sub = std::string(name)] { exec_trainer(argv0, sub, cmd->remaining()); });
}

}  // namespace

void add_trainer_commands(CLI::App& app, const std::string& argv0) {
  forward(app, argv0, "train",
          "Train a model from a JSON config (runs bnnkit-train; see 'bnnkit train --help')");
  forward(app, argv0, "export", "Export a checkpoint to a .bnn model (runs bnnkit-train)");
  forward(
      app, argv0, "compare",
      "Time zoo models against LibTorch fp32 in the same run (runs bnnkit-train; 'bnnkit compare --help')");
}

}  // namespace bnnkit::cli
