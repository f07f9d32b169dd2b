// bnnkit pareto MODEL...: accuracy against ACE (PokeBNN's arithmetic computation effort) for several models
// on one labelled split, as a table and optionally an SVG scatter plot with the Pareto front. Each model is
// evaluated by the engine; its ACE counts gated layers at the gate densities measured in that evaluation.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "commands.h"
#include "common.h"
#include "io/idx.h"
#include "runtime/atomic_file.h"

namespace bnnkit::cli {
namespace {

struct Point {
  std::string label;
  double accuracy = 0, ace = 0;
  int64_t binary_macs = 0, param_bytes = 0;
  bool pareto = false;
};

// A point is on the front if no other point is at least as accurate at no more ACE, and better in one of
// them.
void mark_front(std::vector<Point>& pts) {
  for (Point& p : pts) {
    p.pareto = std::none_of(pts.begin(), pts.end(), [&](const Point& q) {
      return &q != &p && q.accuracy >= p.accuracy && q.ace <= p.ace &&
             (q.accuracy > p.accuracy || q.ace < p.ace);
    });
  }
}

std::string svg(const std::vector<Point>& pts, const std::string& title) {
  const double w = 640, h = 420, left = 70, right = 30, top = 40, bottom = 60;
  double lo = 1e300, hi = 0, amin = 100, amax = 0;
  for (const Point& p : pts) {
    lo = std::min(lo, p.ace), hi = std::max(hi, p.ace);
    amin = std::min(amin, 100 * p.accuracy), amax = std::max(amax, 100 * p.accuracy);
  }
  const double x0 = std::floor(std::log10(std::max(lo, 1.0))),
               x1 = std::max(x0 + 1, std::ceil(std::log10(hi)));
  const double y0 = std::max(0.0, std::floor(amin / 5) * 5 - 5),
               y1 = std::min(100.0, std::ceil(amax / 5) * 5 + 5);
  auto px = [&](double ace) {
    return left + (std::log10(std::max(ace, 1.0)) - x0) / (x1 - x0) * (w - left - right);
  };
  auto py = [&](double acc) { return top + (1 - (100 * acc - y0) / (y1 - y0)) * (h - top - bottom); };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\"><rect width=\"" << w << "\" height=\"" << h
    << "\" fill=\"white\"/>\n<text x=\"" << w / 2 << "\" y=\"20\" text-anchor=\"middle\">" << title
    << "</text>\n";
  for (double e = x0; e <= x1; ++e) {
    const double x = left + (e - x0) / (x1 - x0) * (w - left - right);
    o << "<line x1=\"" << x << "\" y1=\"" << top << "\" x2=\"" << x << "\" y2=\"" << h - bottom
      << "\" stroke=\"#ddd\"/><text x=\"" << x << "\" y=\"" << h - bottom + 16
      << "\" text-anchor=\"middle\">1e" << e << "</text>\n";
  }
  for (double a = y0; a <= y1; a += 5) {
    const double y = top + (1 - (a - y0) / (y1 - y0)) * (h - top - bottom);
    o << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << w - right << "\" y2=\"" << y
      << "\" stroke=\"#ddd\"/><text x=\"" << left - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">" << a
      << "%</text>\n";
  }
  o << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << h - 20
    << "\" text-anchor=\"middle\">ACE per image (MACs x weight bits x activation bits, log scale)</text>\n";
  o << "<text x=\"16\" y=\"" << (top + h - bottom) / 2
    << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " << (top + h - bottom) / 2
    << ")\">test accuracy</text>\n";
  std::vector<Point> front;
  for (const Point& p : pts)
    if (p.pareto) front.push_back(p);
  std::sort(front.begin(), front.end(), [](const Point& a, const Point& b) { return a.ace < b.ace; });
  if (front.size() > 1) {
    o << "<path fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" d=\"";
    for (size_t i = 0; i < front.size(); ++i)
      o << (i ? " L" : "M") << px(front[i].ace) << "," << py(front[i].accuracy);
    o << "\"/>\n";
  }
  for (const Point& p : pts) {
    o << "<circle cx=\"" << px(p.ace) << "\" cy=\"" << py(p.accuracy) << "\" r=\"4\" fill=\""
      << (p.pareto ? "#1f77b4" : "#999") << "\"/><text x=\"" << px(p.ace) + 6 << "\" y=\""
      << py(p.accuracy) - 6 << "\">" << p.label << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace

int run_pareto(const ParetoArgs& a) {
  if (a.models.empty()) throw Error("pareto needs at least one model file");
  const std::string dir = a.data.empty() ? io::kDefaultFashionMnistDir : a.data;
  std::vector<Point> pts;
  for (const std::string& path : a.models) {
    const Model model = Model::load(path);
    const EvalResult r = evaluate(model, dir, a.split, a.limit, a.batch, a.threads, false);
    std::map<std::string, double> density;
    for (const OpProfile& p : r.profile)
      if (p.gate_outputs > 0)
        density[p.name] = static_cast<double>(p.gate_open) / static_cast<double>(p.gate_outputs);
    const ModelCost cost = model_cost(model.graph(), density);
    Point pt;
    pt.label = std::filesystem::path(path).stem().string();
    pt.accuracy = r.accuracy();
    pt.ace = cost.ace;
    pt.binary_macs = cost.binary_macs;
    pt.param_bytes = cost.param_bytes;
    pts.push_back(pt);
  }
  mark_front(pts);
  if (!a.svg.empty())
    runtime::write_file_atomic(a.svg, svg(pts, "accuracy vs ACE on " + a.split + " (" + dir + ")"), "plot");
  if (a.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const Point& p : pts)
      j.push_back({{"model", p.label},
                   {"accuracy", p.accuracy},
                   {"ace", p.ace},
                   {"binary_macs", p.binary_macs},
                   {"param_bytes", p.param_bytes},
                   {"pareto", p.pareto}});
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%-28s %9s %16s %14s %12s %s\n", "model", "accuracy", "ACE", "binary MACs", "params (B)",
              "front");
  for (const Point& p : pts)
    std::printf("%-28s %8.2f%% %16.0f %14lld %12lld %s\n", p.label.c_str(), 100 * p.accuracy, p.ace,
                static_cast<long long>(p.binary_macs), static_cast<long long>(p.param_bytes),
                p.pareto ? "*" : "");
  if (!a.svg.empty()) std::printf("plot written to %s\n", a.svg.c_str());
  return 0;
}

void add_pareto_command(CLI::App& app) {
  auto args = std::make_shared<ParetoArgs>();
  auto* cmd = app.add_subcommand("pareto",
                                 "Accuracy against ACE of several models (table, SVG with the Pareto front)");
  cmd->add_option("models", args->models, "Model files (.bnn)")->required();
  cmd->add_option("--data", args->data,
                  "Folder with the IDX split (default: the Debian Fashion-MNIST package)");
  cmd->add_option("--split", args->split, "File prefix of the split")->capture_default_str();
  cmd->add_option("--limit", args->limit, "Evaluate only the first N images (0 = all)")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "Images per run")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--svg", args->svg, "Write the plot here");
  cmd->add_flag("--json", args->json, "Print machine-readable JSON");
  cmd->callback([args] {
    if (int rc = run_pareto(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
