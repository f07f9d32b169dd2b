#include <cstdio>

#include "bnnkit/bnnkit.h"
#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"bnnkit: train, export, inspect and run binary neural networks"};
  app.set_version_flag(
      "--version", std::string("bnnkit 0.1.0 (model schema ") + std::to_string(bnnkit::kSchemaVersion) + ")");
  app.require_subcommand(1);
  bnnkit::cli::add_info_command(app);
  bnnkit::cli::add_run_command(app);
  bnnkit::cli::add_bench_command(app);
  bnnkit::cli::add_eval_command(app);
  bnnkit::cli::add_pareto_command(app);
  bnnkit::cli::add_synth_command(app);
  bnnkit::cli::add_hls_command(app);
  bnnkit::cli::add_trainer_commands(app, argv[0]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const bnnkit::Error& e) {
    std::fprintf(stderr, "bnnkit: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnnkit: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
