// Kill and resume (issue 8): the real bnnkit-train program is SIGKILLed part-way through a two-stage run and
// resumed, twice, and the result must equal an uninterrupted run's bit for bit: every stage's weights and
// metrics (the .raw state files) and the log (timings aside). Damaged checkpoints must give one clear line.
//
// The run is tiny (an MLP on 384 Fashion-MNIST images, 6 epochs), single-threaded so that it is
// deterministic, and freezes itself at a chosen epoch with the hidden --stop-after-epochs N (SIGSTOP), so the
// kill lands at a known point: the first kill right after a checkpoint (stage 1 of 2, Adam state inside),
// the second one epoch after the stage-end checkpoint, whose log row the resumed run must drop and redo.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "train/recipes/checkpoint.h"

extern char** environ;

namespace bnnkit::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist";

// Stage "real" (Adam, real weights) then stage "binary" (SGD with momentum, step schedule, a wider hidden
// layer, so most of its tensors start from its own seeded initialisation rather than from stage 1).
constexpr const char* kConfig = R"({
  "name": "resume",
  "data": {"train_subset": 384, "test_subset": 256},
  "model": {"type": "mlp_bnn", "levels": 1, "hidden": [32]},
  "train": {"optimizer": "adam", "lr": 0.003, "batch_size": 64, "seed": 7, "checkpoint_every": 2},
  "stages": [
    {"name": "real", "model": {"binary_weights": false}, "train": {"epochs": 3}},
    {"name": "binary", "model": {"hidden": [48]},
     "train": {"epochs": 3, "optimizer": "sgd", "lr": 0.05, "schedule": "step", "milestones": [2]}}
  ]
})";

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kFashion)) GTEST_SKIP() << kFashion << " not installed";
    dir_ = fs::temp_directory_path() / ("bnnkit_resume_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_file(dir_ / "config.json", kConfig);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Starts `bnnkit-train train` into `out` (stdout and stderr to out.txt next to it).
  pid_t start(const fs::path& out, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        BNNKIT_TRAIN_CLI_PATH, "train", "--config", (dir_ / "config.json").string(), "--out", out.string(),
        "--threads",           "1",     "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = out.string() + ".txt";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    EXPECT_EQ(rc, 0) << "cannot start " << argv[0];
    return rc == 0 ? pid : -1;
  }

  // Waits until the child stops (SIGSTOP) or ends; returns waitpid's status. Kills it after 5 minutes.
  static int wait_for(pid_t pid) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG | WUNTRACED) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ADD_FAILURE() << "bnnkit-train did not stop or finish within 5 minutes";
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status;
  }

  // Runs to the end; expects success.
  void run_to_end(const fs::path& out) {
    const int status = wait_for(start(out));
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(out.string() + ".txt");
  }

  // Runs until `epochs` epochs are done in this process, then SIGKILLs it there.
  void run_and_kill(const fs::path& out, int epochs) {
    const pid_t pid = start(out, {"--stop-after-epochs", std::to_string(epochs)});
    const int stopped = wait_for(pid);
    ASSERT_TRUE(WIFSTOPPED(stopped)) << read_file(out.string() + ".txt");
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }

  fs::path dir_;
};

// The log without its two timing columns (img_per_s, seconds).
std::vector<std::string> log_rows(const fs::path& out) {
  std::istringstream in(read_file(out / "log.csv"));
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    const size_t cut = line.rfind(',', line.rfind(',') - 1);
    rows.push_back(line.substr(0, cut));
  }
  return rows;
}

TEST_F(Resume, KilledTwiceAndResumedEqualsAnUninterruptedRun) {
  const fs::path whole = dir_ / "whole", killed = dir_ / "killed";
  run_to_end(whole);
  ASSERT_EQ(log_rows(whole).size(), 7u);  // header + 3 + 3 epochs

  // Kill 1: after epoch 2 of stage "real", whose checkpoint (checkpoint_every 2) holds the Adam state.
  run_and_kill(killed, 2);
  Json meta = read_checkpoint_meta((killed / "checkpoint.pt").string());
  EXPECT_EQ(meta.at("stage"), 0);
  EXPECT_EQ(meta.at("epoch"), 2);
  EXPECT_EQ(log_rows(killed).size(), 3u);

  // Kill 2: the resumed run ends stage "real" (checkpoint: stage "binary" at epoch 0) and does epoch 1 of
  // "binary" (no checkpoint due), whose log row is then ahead of the checkpoint.
  run_and_kill(killed, 2);
  meta = read_checkpoint_meta((killed / "checkpoint.pt").string());
  EXPECT_EQ(meta.at("stage"), 1);
  EXPECT_EQ(meta.at("epoch"), 0);
  EXPECT_EQ(log_rows(killed).size(), 5u);

  run_to_end(killed);
  EXPECT_EQ(log_rows(killed), log_rows(whole));
  for (const char* f : {"real.raw", "binary.raw", "latest.raw"}) {
    const std::string a = read_file(whole / f), b = read_file(killed / f);
    EXPECT_FALSE(a.empty()) << f;
    EXPECT_TRUE(a == b) << f << " differs between the uninterrupted and the resumed run";
  }
  const auto w = load_checkpoint((whole / "checkpoint.pt").string());
  const auto k = load_checkpoint((killed / "checkpoint.pt").string());
  for (const auto& p : w.model->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), *k.model->named_parameters().find(p.key()))) << p.key();
  }

  // The resumed runs said so, and a finished run is not trained again.
  const std::string said = read_file(killed.string() + ".txt");
  EXPECT_NE(said.find("resuming"), std::string::npos) << said;
  const int status = wait_for(start(killed));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(read_file(killed.string() + ".txt").find("is complete"), std::string::npos);
  for (const auto& e : fs::directory_iterator(killed)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

// What a damaged checkpoint gives: one line naming the file, from the API and from the program.
TEST_F(Resume, DamagedCheckpointsGiveOneClearLine) {
  const fs::path good = dir_ / "good";
  run_and_kill(good, 2);
  const std::string bytes = read_file(good / "checkpoint.pt");
  ASSERT_GT(bytes.size(), 1000u);

  struct Damage {
    const char* name;
    std::string bytes;
    const char* why;
  };
  std::string end = bytes, weight = bytes;
  for (size_t i = 0; i < 64; ++i) end[bytes.size() - 1 - i] ^= 0x5a;  // the zip's directory
  weight[bytes.size() / 8] ^= 0x01;  // one bit of fc1's weights (the first record, 100 KB of 330 KB)
  const Damage damages[] = {
      {"truncated", bytes.substr(0, bytes.size() / 2), "no zip directory at its end"},
      {"empty", "", "no zip directory at its end"},
      {"text", "not a checkpoint\n", "no zip directory at its end"},
      {"end overwritten", end, "no zip directory at its end"},
      {"one bit of a weight", weight, "zip record 0 of 65 fails its CRC-32 check"},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.name);
    const fs::path out = dir_ / d.name;
    fs::create_directories(out);
    write_file(out / "checkpoint.pt", d.bytes);
    const std::string path = (out / "checkpoint.pt").string();
    try {
      read_checkpoint_meta(path);
      ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg, "checkpoint '" + path + "' is unreadable (truncated or corrupt?): " + d.why);
    }
    // The program: exit code 1 and one line, before any data is loaded.
    const int status = wait_for(start(out));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    const std::string said = read_file(out.string() + ".txt");
    EXPECT_EQ(said, "bnnkit-train: error: checkpoint '" + path + "' is unreadable (truncated or corrupt?): " +
                        d.why + "; remove it (or use --fresh) to start again\n");
  }

  // A damaged raw state (the fallback when there is no checkpoint.pt) likewise.
  const std::string raw = read_file(good / "latest.raw");
  std::string raw_bit = raw;
  raw_bit[raw.size() / 2] ^= 0x01;
  const std::pair<const char*, std::string> raw_damages[] = {{"truncated", raw.substr(0, raw.size() - 100)},
                                                             {"CRC-32 mismatch", raw_bit}};
  for (const auto& [why, damaged] : raw_damages) {
    const fs::path out = dir_ / ("raw " + std::string(why));
    fs::create_directories(out);
    write_file(out / "latest.raw", damaged);
    const int status = wait_for(start(out));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    EXPECT_EQ(read_file(out.string() + ".txt"),
              "bnnkit-train: error: raw state '" + (out / "latest.raw").string() + "' is unreadable: " + why +
                  "; remove it (or use --fresh) to start again\n");
  }
}

}  // namespace
}  // namespace bnnkit::train
