#include "train/recipes/trainer.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runtime/atomic_file.h"
#include "train/recipes/checkpoint.h"

namespace bnnkit::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kDefaultData = "/usr/share/datasets/fashion-mnist";

std::string fmt_time(double s) {
  char b[32];
  const int t = static_cast<int>(s + 0.5);
  if (t >= 3600) {
    std::snprintf(b, sizeof b, "%dh%02dm", t / 3600, (t / 60) % 60);
  } else {
    std::snprintf(b, sizeof b, "%dm%02ds", t / 60, t % 60);
  }
  return b;
}

class Progress {
 public:
  Progress(std::string label, int64_t total, bool quiet)
      : label_(std::move(label)),
        total_(total),
        quiet_(quiet),
        tty_(::isatty(2) != 0),
        start_(Clock::now()) {}
  void update(int64_t done, double loss, double acc, bool last = false) {
    const auto now = Clock::now();
    const double el = std::chrono::duration<double>(now - start_).count();
    const double ips = el > 0 ? static_cast<double>(done) / el : 0.0;
    const double eta = ips > 0 ? static_cast<double>(total_ - done) / ips : 0.0;
    if (quiet_) return;
    const int pct = static_cast<int>(100 * done / std::max<int64_t>(total_, 1));
    if (tty_) {
      if (!last && std::chrono::duration<double>(now - last_print_).count() < 0.25) return;
      const int width = 24, fill = width * pct / 100;
      std::fprintf(stderr, "\r%s [%s%s] %3d%% loss %.4f acc %5.2f%% %6.0f img/s ETA %s   ", label_.c_str(),
                   std::string(static_cast<size_t>(fill), '=').c_str(),
                   std::string(static_cast<size_t>(width - fill), ' ').c_str(), pct, loss, 100 * acc, ips,
                   fmt_time(eta).c_str());
      if (last) std::fprintf(stderr, "\n");
    } else if (pct >= next_pct_ || last) {
      std::fprintf(stderr, "%s %3d%% loss %.4f acc %5.2f%% %.0f img/s ETA %s\n", label_.c_str(), pct, loss,
                   100 * acc, ips, fmt_time(eta).c_str());
      next_pct_ = pct + 20;
    }
    last_print_ = now;
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  std::string label_;
  int64_t total_;
  bool quiet_, tty_;
  Clock::time_point start_, last_print_{};
  int next_pct_ = 20;
};

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) g.options().set_lr(lr);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Json& t, torch::nn::Module& model) {
  const std::string kind = t.value("optimizer", std::string("adam"));
  const double lr = t.value("lr", 1e-3), wd = t.value("weight_decay", 0.0);
  if (kind == "adam") {
    return std::make_unique<torch::optim::Adam>(model.parameters(),
                                                torch::optim::AdamOptions(lr).weight_decay(wd));
  }
  if (kind == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        model.parameters(), torch::optim::SGDOptions(lr).momentum(t.value("momentum", 0.9)).weight_decay(wd));
  }
  throw std::invalid_argument("train.optimizer must be \"adam\" or \"sgd\", got \"" + kind + "\"");
}

// Learning rate at iteration `it` of `total` (epoch = it / per_epoch).
double lr_at(const Json& t, int64_t it, int64_t per_epoch, int64_t total) {
  const double base = t.value("lr", 1e-3);
  const std::string sched = t.value("schedule", std::string("linear"));
  if (sched == "linear")
    return base * (1.0 - static_cast<double>(it) / static_cast<double>(std::max<int64_t>(total, 1)));
  if (sched == "constant") return base;
  if (sched == "step") {
    const int64_t epoch = it / std::max<int64_t>(per_epoch, 1);
    double lr = base;
    for (int64_t m : t.value("milestones", std::vector<int64_t>{})) {
      if (epoch >= m) lr *= t.value("gamma", 0.1);
    }
    return lr;
  }
  throw std::invalid_argument("train.schedule must be linear, step or constant; got \"" + sched + "\"");
}

torch::Tensor distill_loss(const torch::Tensor& s, const torch::Tensor& t, double temp) {
  namespace F = torch::nn::functional;
  const auto ls = F::log_softmax(s / temp, F::LogSoftmaxFuncOptions(1));
  const auto pt = F::softmax(t / temp, F::SoftmaxFuncOptions(1));
  return F::kl_div(ls, pt, F::KLDivFuncOptions().reduction(torch::kBatchMean)) * (temp * temp);
}

constexpr const char* kLogHeader =
    "stage,epoch,lr,train_loss,train_acc,test_loss,test_acc,gate_density,img_per_s,seconds\n";

// Where a run continues: `epoch` epochs of stage `stage` are done.
struct ResumePoint {
  int stage = 0;
  int64_t epoch = 0;
  Json meta;         // null: from scratch
  bool raw = false;  // from latest.raw (weights and BN statistics only; fresh optimizer)
  bool done = false;
};

int64_t stage_epochs(const Json& stage) {
  return stage.at("train").value("epochs", int64_t{1});
}

ResumePoint find_resume_point(const fs::path& out, const Json& stages, bool fresh) {
  ResumePoint r;
  const fs::path ckpt = out / "checkpoint.pt", raw = out / "latest.raw";
  if (fresh || (!fs::exists(ckpt) && !fs::exists(raw))) return r;
  r.raw = !fs::exists(ckpt);
  const std::string from = (r.raw ? raw : ckpt).string();
  try {
    r.meta = r.raw ? load_state_raw(from).meta : read_checkpoint_meta(from);
    r.stage = r.meta.at("stage").get<int>();
    r.epoch = r.meta.at("epoch").get<int64_t>();
    r.done = r.meta.value("done", false);
  } catch (const std::exception& e) {
    // One line for the user: what is wrong and how to get going again.
    const std::string what = dynamic_cast<const Json::exception*>(&e) != nullptr
                                 ? from + " has no stage/epoch record (not written by bnnkit-train train?)"
                                 : e.what();
    throw std::runtime_error(what + "; remove it (or use --fresh) to start again");
  }
  if (r.done && !r.raw) return r;
  const int n = static_cast<int>(stages.size());
  if (r.stage < 0 || r.stage >= n || r.epoch < 0 || r.epoch > stage_epochs(stages[r.stage])) {
    throw std::runtime_error(from + " is at stage " + std::to_string(r.stage + 1) + " epoch " +
                             std::to_string(r.epoch) + ", which this config does not have (was it changed?)");
  }
  if (r.raw && r.epoch == stage_epochs(stages[r.stage])) {
    ++r.stage;
    r.epoch = 0;
    if (r.stage == n) throw std::runtime_error(from + " is the end of the run already; export it");
  }
  return r;
}

// The rows of an earlier log.csv up to the resume point: the epochs after it are trained again, and their
// rows written again (a kill between an epoch's log row and its checkpoint leaves such a row).
std::string log_rows_until(const fs::path& path, const Json& stages, const ResumePoint& r) {
  std::ifstream f(path);
  std::string kept, line;
  std::getline(f, line);  // the header
  while (std::getline(f, line)) {
    const size_t c1 = line.find(','), c2 = line.find(',', c1 == std::string::npos ? c1 : c1 + 1);
    if (c2 == std::string::npos) continue;
    int64_t epoch = -1;
    std::from_chars(line.data() + c1 + 1, line.data() + c2, epoch);
    const std::string name = line.substr(0, c1);
    for (int si = 0; si < static_cast<int>(stages.size()); ++si) {
      if (stages[si].at("name") != name) continue;
      if (si < r.stage || (si == r.stage && epoch >= 1 && epoch <= r.epoch)) kept += line + "\n";
      break;
    }
  }
  return kept;
}

// The model of stage `si`, initialised from the stage's seed: the same weights whether the stage starts in
// this process or in the checkpoint written at the end of the previous stage.
std::shared_ptr<ClassifierImpl> build_stage_model(const Json& stages, int si) {
  const int64_t seed = stages[si].at("train").value("seed", int64_t{1});
  torch::manual_seed(static_cast<uint64_t>(seed + si));
  return build_model(stages[si].at("model"));
}

}  // namespace

void complete_model_config(Json& m, const Dataset& data) {
  if (!m.contains("input_shape")) {
    m["input_shape"] = {data.images.size(1), data.images.size(2), data.images.size(3)};
  }
  if (!m.contains("num_classes")) m["num_classes"] = data.num_classes;
}

namespace {
torch::Device model_device(ClassifierImpl& model) {
  const auto ps = model.parameters();
  return ps.empty() ? torch::Device(torch::kCPU) : ps.front().device();
}
}  // namespace

torch::Tensor predict(ClassifierImpl& model, const torch::Tensor& images, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  model.eval();
  const auto dev = model_device(model);
  std::vector<torch::Tensor> outs;
  for (int64_t i = 0; i < images.size(0); i += batch_size) {
    outs.push_back(
        model.forward(images.narrow(0, i, std::min(batch_size, images.size(0) - i)).to(dev)).to(torch::kCPU));
  }
  return torch::cat(outs);
}

EvalResult evaluate(ClassifierImpl& model, const Dataset& data, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  model.eval();
  EvalResult r;
  double loss = 0.0, density = 0.0;
  int64_t correct = 0, batches = 0;
  for (int64_t i = 0; i < data.size(); i += batch_size) {
    const int64_t n = std::min(batch_size, data.size() - i);
    const auto dev = model_device(model);
    const auto logits = model.forward(data.images.narrow(0, i, n).to(dev));
    const auto y = data.labels.narrow(0, i, n).to(dev);
    loss += torch::nn::functional::cross_entropy(
                logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    density += model.gate_density();
    ++batches;
  }
  r.count = data.size();
  r.loss = r.count > 0 ? loss / static_cast<double>(r.count) : 0.0;
  r.accuracy = r.count > 0 ? static_cast<double>(correct) / static_cast<double>(r.count) : 0.0;
  r.gate_density = batches > 0 && model.gate_density() >= 0 ? density / static_cast<double>(batches) : -1.0;
  return r;
}

EvalResult run_training(const TrainOptions& opt) {
  validate_config(opt.config, "TrainOptions::config");
  Json config = opt.config;
  config.erase("resolved_stages");  // recomputed below
  const std::string name = config.value("name", std::string("run"));
  Json data_cfg = config.value("data", Json::object());
  if (!opt.data_dir.empty()) data_cfg["dir"] = opt.data_dir;
  const std::string data_dir = data_cfg.value("dir", std::string(kDefaultData));
  data_cfg["dir"] = data_dir;
  config["data"] = data_cfg;
  const fs::path out = opt.out_dir.empty() ? fs::path("runs") / name : fs::path(opt.out_dir);
  fs::create_directories(out);

  const int threads =
      opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  const torch::Device dev(opt.device);

  Json stages = resolve_stages(config);
  if (opt.epochs > 0) {
    for (auto& s : stages) s["train"]["epochs"] = opt.epochs;
  }
  // The resume point comes first, so that a damaged checkpoint is reported before the data is loaded.
  const fs::path ckpt = out / "checkpoint.pt";
  const ResumePoint resume = find_resume_point(out, stages, opt.fresh);
  if (resume.done && !resume.raw) {
    std::fprintf(stderr, "bnnkit-train: %s is complete (use --fresh to retrain)\n", ckpt.string().c_str());
    EvalResult r;
    const Json m = resume.meta.value("metrics", Json::object());
    r.accuracy = m.value("test_acc", 0.0);
    r.loss = m.value("test_loss", 0.0);
    r.gate_density = m.value("gate_density", -1.0);
    return r;
  }
  if (resume.raw) {
    std::fprintf(stderr, "bnnkit-train: continuing %s at stage %d epoch %lld (fresh optimizer state)\n",
                 (out / "latest.raw").string().c_str(), resume.stage + 1,
                 static_cast<long long>(resume.epoch + 1));
  } else if (!resume.meta.is_null()) {
    std::fprintf(stderr, "bnnkit-train: resuming %s at stage %d epoch %lld\n", ckpt.string().c_str(),
                 resume.stage + 1, static_cast<long long>(resume.epoch + 1));
  }
  const std::string log_path = (out / "log.csv").string();
  std::string log = kLogHeader;
  if (!resume.meta.is_null()) log += log_rows_until(log_path, stages, resume);
  runtime::write_file_atomic(log_path, log, "log");

  std::fprintf(stderr, "bnnkit-train: %s, data %s, out %s, %d threads\n", name.c_str(), data_dir.c_str(),
               out.string().c_str(), threads);
  Dataset train = load_split(data_dir, true).head(data_cfg.value("train_subset", int64_t{0}));
  Dataset test = load_split(data_dir, false).head(data_cfg.value("test_subset", int64_t{0}));
  std::fprintf(stderr, "bnnkit-train: %lld train / %lld test images, %lldx%lldx%lld, %lld classes\n",
               static_cast<long long>(train.size()), static_cast<long long>(test.size()),
               static_cast<long long>(train.images.size(1)), static_cast<long long>(train.images.size(2)),
               static_cast<long long>(train.images.size(3)), static_cast<long long>(train.num_classes));
  test.num_classes = train.num_classes = std::max(train.num_classes, test.num_classes);

  for (auto& s : stages) complete_model_config(s["model"], train);
  config["resolved_stages"] = stages;
  runtime::write_file_atomic((out / "config.json").string(), config.dump(2) + "\n", "config copy");

  std::shared_ptr<ClassifierImpl> teacher;
  const Json distill = config.value("distill", Json::object());
  if (distill.contains("teacher")) {
    teacher = load_checkpoint(distill.at("teacher").get<std::string>()).model;
    teacher->to(dev);
    teacher->eval();
    std::fprintf(stderr, "bnnkit-train: distilling from %s\n",
                 distill.at("teacher").get<std::string>().c_str());
  }
  const double kd_alpha = distill.value("alpha", 1.0), kd_temp = distill.value("temperature", 1.0);

  std::shared_ptr<ClassifierImpl> prev;
  EvalResult last;
  for (int si = resume.stage; si < static_cast<int>(stages.size()); ++si) {
    const Json& stage = stages[si];
    const Json& tc = stage.at("train");
    const std::string sname = stage.at("name").get<std::string>();
    const int64_t seed = tc.value("seed", int64_t{1});
    auto model = build_stage_model(stages, si);
    model->to(dev);
    auto optimizer = make_optimizer(tc, *model);
    int64_t epoch0 = 0;
    if (si == resume.stage && resume.raw) {
      auto c = load_state_raw((out / "latest.raw").string());
      model->to(torch::kCPU);
      const int n = copy_matching_state(*c.model, *model);
      model->to(dev);
      std::fprintf(stderr, "bnnkit-train: %d tensors from latest.raw\n", n);
      epoch0 = resume.epoch;
    } else if (si == resume.stage && !resume.meta.is_null()) {
      model->to(torch::kCPU);
      load_checkpoint_into(ckpt.string(), *model, optimizer.get());
      model->to(dev);
      epoch0 = resume.epoch;
    } else if (prev) {
      const int n = copy_matching_state(*prev, *model);
      std::fprintf(stderr, "bnnkit-train: stage %s initialised from the previous stage (%d tensors)\n",
                   sname.c_str(), n);
    } else if (si > 0) {
      const fs::path prev_ckpt = out / (stages[si - 1].at("name").get<std::string>() + ".pt");
      if (fs::exists(prev_ckpt)) {
        auto p = load_checkpoint(prev_ckpt.string());
        copy_matching_state(*p.model, *model);
      }
    }
    const int64_t epochs = tc.value("epochs", int64_t{1});
    const int64_t bs = tc.value("batch_size", int64_t{128});
    const int64_t per_epoch = (train.size() + bs - 1) / bs;
    const AugmentOptions aug =
        AugmentOptions().crop_pad(data_cfg.value("crop_pad", int64_t{0})).flip(data_cfg.value("flip", false));
    const int64_t eval_bs = tc.value("eval_batch_size", int64_t{1000});

    for (int64_t ep = epoch0; ep < epochs; ++ep) {
      model->train();
      std::mt19937_64 rng(static_cast<uint64_t>(seed) * 1000003ULL + static_cast<uint64_t>(si) * 10007ULL +
                          static_cast<uint64_t>(ep));
      const auto order = epoch_order(train.size(), true, rng);
      const auto order_t = torch::from_blob(const_cast<int64_t*>(order.data()),
                                            {static_cast<int64_t>(order.size())}, torch::kLong);
      char label[96];
      std::snprintf(label, sizeof label, "[%s %d/%zu] epoch %lld/%lld", sname.c_str(), si + 1, stages.size(),
                    static_cast<long long>(ep + 1), static_cast<long long>(epochs));
      Progress bar(label, train.size(), opt.quiet);
      double loss_sum = 0.0;
      int64_t correct = 0, seen = 0;
      double lr = 0.0;
      for (int64_t b = 0; b < per_epoch; ++b) {
        const int64_t n = std::min(bs, train.size() - b * bs);
        const auto idx = order_t.narrow(0, b * bs, n);
        const auto images = augment(train.images.index_select(0, idx), aug, rng).to(dev);
        const auto labels = train.labels.index_select(0, idx).to(dev);
        lr = lr_at(tc, ep * per_epoch + b, per_epoch, epochs * per_epoch);
        set_lr(*optimizer, lr);
        optimizer->zero_grad();
        const auto logits = model->forward(images);
        torch::Tensor loss;
        if (teacher) {
          torch::Tensor t;
          {
            torch::NoGradGuard ng;
            t = teacher->forward(images);
          }
          loss = distill_loss(logits, t, kd_temp) * kd_alpha;
          if (kd_alpha < 1.0)
            loss = loss + torch::nn::functional::cross_entropy(logits, labels) * (1.0 - kd_alpha);
        } else {
          loss = torch::nn::functional::cross_entropy(logits, labels);
        }
        const auto pen = model->penalty();
        const auto total = pen.defined() ? loss + pen : loss;
        const double lv = loss.item<double>();
        if (!std::isfinite(lv)) {
          throw std::runtime_error("loss is " + std::to_string(lv) + " at stage " + sname + " epoch " +
                                   std::to_string(ep + 1) + " batch " + std::to_string(b) + "; lower the lr");
        }
        total.backward();
        optimizer->step();
        model->clip_latent();
        loss_sum += lv * static_cast<double>(n);
        correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
        seen += n;
        bar.update(seen, loss_sum / static_cast<double>(seen),
                   static_cast<double>(correct) / static_cast<double>(seen), b + 1 == per_epoch);
      }
      const double secs = bar.seconds();
      last = evaluate(*model, test, eval_bs);
      const double train_loss = loss_sum / static_cast<double>(std::max<int64_t>(seen, 1));
      const double train_acc = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(seen, 1));
      std::fprintf(
          stderr, "%s: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%%%s | %.0f img/s, %s\n", label,
          train_loss, 100 * train_acc, last.loss, 100 * last.accuracy,
          last.gate_density >= 0 ? (" gate " + std::to_string(last.gate_density).substr(0, 5)).c_str() : "",
          static_cast<double>(seen) / secs, fmt_time(secs).c_str());
      std::ostringstream row;
      row << sname << "," << ep + 1 << "," << lr << "," << train_loss << "," << train_acc << "," << last.loss
          << "," << last.accuracy << "," << last.gate_density << "," << static_cast<double>(seen) / secs
          << "," << secs;
      log += row.str() + "\n";
      runtime::write_file_atomic(log_path, log, "log");  // before the checkpoint: see trainer.h
      const bool stage_done = ep + 1 == epochs;
      const bool all_done = stage_done && si + 1 == static_cast<int>(stages.size());
      if (stage_done || (ep + 1) % tc.value("checkpoint_every", int64_t{1}) == 0) {
        Json meta = {{"config", config},
                     {"stage", stage_done && !all_done ? si + 1 : si},
                     {"stage_name", sname},
                     {"stage_model", stage.at("model")},
                     {"epoch", stage_done && !all_done ? 0 : ep + 1},
                     {"done", all_done},
                     {"metrics",
                      {{"test_acc", last.accuracy},
                       {"test_loss", last.loss},
                       {"train_acc", train_acc},
                       {"train_loss", train_loss},
                       {"gate_density", last.gate_density},
                       {"test_images", last.count}}}};
        // Checkpoints are written from CPU copies (loadable without CUDA).
        std::shared_ptr<ClassifierImpl> cpu_model = model;
        if (dev.type() != torch::kCPU) {
          cpu_model = build_model(stage.at("model"));
          copy_matching_state(*model, *cpu_model);  // copy_ crosses devices
        }
        if (stage_done) {
          Json smeta = meta;
          smeta["stage"] = si;
          smeta["epoch"] = ep + 1;
          smeta["done"] = true;
          save_checkpoint((out / (sname + ".pt")).string(), *cpu_model, nullptr, smeta);
          save_state_raw((out / (sname + ".raw")).string(), *cpu_model, smeta);
        }
        {
          Json lmeta = meta;
          lmeta["stage"] = si;
          lmeta["epoch"] = ep + 1;
          lmeta["stage_name"] = sname;
          save_state_raw((out / "latest.raw").string(), *cpu_model, lmeta);
        }
        if (stage_done && !all_done) {
          // The next stage starts from this stage's weights; the checkpoint records that stage at epoch 0.
          auto next = build_stage_model(stages, si + 1);
          copy_matching_state(*cpu_model, *next);
          Json nmeta = meta;
          nmeta["stage_model"] = stages[si + 1].at("model");
          nmeta["stage_name"] = stages[si + 1].at("name");
          save_checkpoint(ckpt.string(), *next, nullptr, nmeta);
        } else {
          save_checkpoint(ckpt.string(), *cpu_model, dev.type() == torch::kCPU ? optimizer.get() : nullptr,
                          meta);
        }
      }
      if (opt.after_epoch) opt.after_epoch(si, ep + 1);
    }
    prev = model;
  }
  std::fprintf(stderr, "bnnkit-train: done, test accuracy %.2f%%, checkpoint %s\n", 100 * last.accuracy,
               ckpt.string().c_str());
  return last;
}

}  // namespace bnnkit::train
