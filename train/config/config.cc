#include "train/config/config.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <span>
#include <vector>

#include "bnnkit/error.h"

namespace bnnkit::train {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMaxConfigBytes = int64_t{16} << 20;

// A key as it may appear in a message: bounded length, control characters escaped (the message is one line).
std::string printable(std::string_view s, size_t max = 48) {
  std::string out;
  for (const char ch : s.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out += ch;
    }
  }
  return s.size() > max ? out + "..." : out;
}

std::string in_quotes(std::string_view s) {
  return "\"" + printable(s) + "\"";
}

const char* a_type(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Checks values and throws the one-line error naming the config and the key's path ("stages[1].train.lr").
class Validator {
 public:
  explicit Validator(const std::string& origin) : origin_(origin) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error("config '" + origin_ + "': " + what); }

  void object(const Json& j, const std::string& path) const {
    if (!j.is_object()) fail(path + " must be an object, not " + a_type(j));
  }
  void boolean(const Json& j, const std::string& path) const {
    if (!j.is_boolean()) fail(path + " must be true or false, not " + a_type(j));
  }
  void string(const Json& j, const std::string& path, bool non_empty = false) const {
    if (!j.is_string()) fail(path + " must be a string, not " + a_type(j));
    if (non_empty && j.get_ref<const std::string&>().empty()) fail(path + " must not be empty");
  }
  int64_t integer(const Json& j, const std::string& path, int64_t lo, int64_t hi) const {
    if (j.is_number_float()) fail(path + " must be an integer, got " + j.dump());
    if (!j.is_number_integer()) fail(path + " must be an integer, not " + a_type(j));
    const bool big = j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(hi);
    const int64_t v = big ? hi : j.get<int64_t>();
    if (big || v < lo || v > hi) {
      fail(path + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + j.dump());
    }
    return v;
  }
  // A finite number in [lo, hi]; lo_open makes it (lo, hi], hi_open [lo, hi).
  void number(const Json& j, const std::string& path, double lo, double hi, bool lo_open = false,
              bool hi_open = false) const {
    if (!j.is_number()) fail(path + " must be a number, not " + a_type(j));
    const double v = j.get<double>();
    const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    if (ok) return;
    const auto num = [](double x) {
      char b[32];
      std::snprintf(b, sizeof b, "%g", x);
      return std::string(b);
    };
    std::string range;
    if (hi == kInf) {
      range = lo == -kInf ? "finite" : std::string(lo_open ? "> " : ">= ") + num(lo);
    } else {
      range = "in " + std::string(lo_open ? "(" : "[") + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]");
    }
    fail(path + " must be " + range + ", got " + (std::isfinite(v) ? j.dump() : "a non-finite number"));
  }
  void choice(const Json& j, const std::string& path, std::span<const char* const> choices) const {
    string(j, path);
    const std::string& s = j.get_ref<const std::string&>();
    if (std::find(choices.begin(), choices.end(), s) != choices.end()) return;
    std::string list;
    for (size_t i = 0; i < choices.size(); ++i) {
      list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + std::string("\"") + choices[i] + "\"";
    }
    fail(path + " must be " + list + ", got " + in_quotes(s));
  }
  // An array of min..max elements; returns its size.
  size_t array(const Json& j, const std::string& path, size_t min, size_t max) const {
    if (!j.is_array()) fail(path + " must be an array, not " + a_type(j));
    if (j.size() < min || j.size() > max) {
      const std::string want =
          min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
      fail(path + " must have " + want + " elements, got " + std::to_string(j.size()));
    }
    return j.size();
  }
  template <class F>
  void each(const Json& j, const std::string& path, size_t min, size_t max, F&& check) const {
    array(j, path, min, max);
    for (size_t i = 0; i < j.size(); ++i) check(j[i], path + "[" + std::to_string(i) + "]");
  }
  // A name that becomes part of a file name: no folders, no hidden files.
  void file_name(const Json& j, const std::string& path) const {
    string(j, path);
    const std::string& s = j.get_ref<const std::string&>();
    const bool ok =
        !s.empty() && s.size() <= 64 && s[0] != '.' && std::all_of(s.begin(), s.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        });
    if (!ok) {
      fail(path + " must be 1 to 64 letters, digits, '_', '-' or '.' (not first), as it names files; got " +
           in_quotes(s));
    }
  }

 private:
  const std::string& origin_;
};

using Check = void (*)(const Validator&, const Json&, const std::string&);
struct Key {
  const char* name;
  Check check;     // nullptr: checked by the caller
  unsigned types;  // model keys: the model types (bits of kModelTypes) that take it
};

// Throws for the first key of `obj` that is not in `keys` (suggesting the nearest one).
const Key& find_key(const Validator& v, std::span<const Key> keys, const std::string& path,
                    const std::string& key) {
  for (const Key& k : keys) {
    if (key == k.name) return k;
  }
  const Key* best = nullptr;
  size_t best_d = 3;  // suggest only near misses
  for (const Key& k : keys) {
    const size_t d = edit_distance(key, k.name);
    if (d < best_d && d < key.size()) best = &k, best_d = d;
  }
  v.fail("unknown key '" + printable(join(path, key)) + "'" +
         (best != nullptr ? " (did you mean '" + join(path, best->name) + "'?)" : ""));
}

void check_keys(const Validator& v, const Json& obj, const std::string& path, std::span<const Key> keys) {
  v.object(obj, path);
  for (const auto& [key, value] : obj.items()) {
    const Key& k = find_key(v, keys, path, key);
    if (k.check != nullptr) k.check(v, value, join(path, key));
  }
}

constexpr const char* kOptimizers[] = {"adam", "sgd"};
constexpr const char* kSchedules[] = {"linear", "step", "constant"};
constexpr const char* kModelTypes[] = {"resnet20_bnn", "resnet20_fp", "mlp_bnn", "pokebnn",
                                       "fracbnn_reactnet"};
// kBnn covers both FracBNN topologies (resnet20_bnn and fracbnn_reactnet); kRn20 / kReact what only one
// takes.
// kPg: resnet20_pg (resnet20_fp with Precision Gating convs).
constexpr unsigned kRn20 = 1, kFp = 2, kMlp = 4, kPoke = 8, kReact = 16, kPg = 32, kBnn = kRn20 | kReact,
                   kAll = 63;
constexpr const char* kInputs[] = {"thermometer", "real"};
constexpr const char* kActivations[] = {"frac", "quant2", "sign"};
constexpr const char* kPaddings[] = {"zero", "one"};
constexpr int64_t kMaxBatch = int64_t{1} << 20;
constexpr int64_t kMaxEpochs = 1000000;

using V = Validator;
using P = std::string;

void positive(const V& v, const Json& j, const P& p) {
  v.number(j, p, 0, kInf, true);
}
void non_negative(const V& v, const Json& j, const P& p) {
  v.number(j, p, 0, kInf);
}
void unit_interval(const V& v, const Json& j, const P& p) {
  v.number(j, p, 0, 1);
}
void boolean(const V& v, const Json& j, const P& p) {
  v.boolean(j, p);
}
void batch(const V& v, const Json& j, const P& p) {
  v.integer(j, p, 1, kMaxBatch);
}
void subset(const V& v, const Json& j, const P& p) {
  v.integer(j, p, 0, int64_t{1} << 31);
}

const Key kDataKeys[] = {
    {"dir", [](const V& v, const Json& j, const P& p) { v.string(j, p, true); }, 0},
    {"train_subset", subset, 0},
    {"test_subset", subset, 0},
    {"crop_pad", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 0, 64); }, 0},
    {"flip", boolean, 0},
    {"class_names",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 0, 65536, [&](const Json& e, const P& ep) { v.string(e, ep); });
     },
     0},
};

const Key kTrainKeys[] = {
    {"epochs", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, kMaxEpochs); }, 0},
    {"batch_size", batch, 0},
    {"optimizer", [](const V& v, const Json& j, const P& p) { v.choice(j, p, kOptimizers); }, 0},
    {"lr", positive, 0},
    {"weight_decay", non_negative, 0},
    {"momentum", [](const V& v, const Json& j, const P& p) { v.number(j, p, 0, 1, false, true); }, 0},
    {"schedule", [](const V& v, const Json& j, const P& p) { v.choice(j, p, kSchedules); }, 0},
    {"milestones",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 0, 1000, [&](const Json& e, const P& ep) { v.integer(e, ep, 0, kMaxEpochs); });
     },
     0},
    {"gamma", positive, 0},
    {"seed", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 0, 4294967295); }, 0},
    {"eval_batch_size", batch, 0},
    {"checkpoint_every", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, kMaxEpochs); }, 0},
};

const Key kDistillKeys[] = {
    {"teacher", [](const V& v, const Json& j, const P& p) { v.string(j, p, true); }, 0},
    {"alpha", unit_interval, 0},
    {"temperature", positive, 0},
};

void per_channel(const V& v, const Json& j, const P& p, bool std) {
  v.each(j, p, 1, 65536, [&](const Json& e, const P& ep) {
    if (std) {
      positive(v, e, ep);
    } else {
      v.number(e, ep, -kInf, kInf);
    }
  });
}

const Key kModelKeys[] = {
    {"type", [](const V& v, const Json& j, const P& p) { v.choice(j, p, kModelTypes); }, kAll},
    {"input_shape",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 3, 3, [&](const Json& e, const P& ep) { v.integer(e, ep, 1, 65536); });
     },
     kAll},
    {"num_classes", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 65536); }, kAll},
    {"widths",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 1, 16, [&](const Json& e, const P& ep) { v.integer(e, ep, 1, 4096); });
     },
     kRn20 | kFp | kPg},
    {"blocks", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 0, 64); }, kRn20 | kFp | kPg},
    {"stem_width", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 4096); }, kReact},
    {"stem_stride", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 2); }, kReact},
    {"block_widths",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 1, 64, [&](const Json& e, const P& ep) { v.integer(e, ep, 1, 8192); });
     },
     kReact},
    {"block_strides",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 1, 64, [&](const Json& e, const P& ep) { v.integer(e, ep, 1, 2); });
     },
     kReact},
    {"input_mean", [](const V& v, const Json& j, const P& p) { per_channel(v, j, p, false); },
     kRn20 | kFp | kPoke | kPg},
    {"input_std", [](const V& v, const Json& j, const P& p) { per_channel(v, j, p, true); },
     kRn20 | kFp | kPoke | kPg},
    {"input", [](const V& v, const Json& j, const P& p) { v.choice(j, p, kInputs); }, kRn20},
    {"activation", [](const V& v, const Json& j, const P& p) { v.choice(j, p, kActivations); }, kBnn},
    {"padding", [](const V& v, const Json& j, const P& p) { v.choice(j, p, kPaddings); }, kBnn},
    {"theta_init", [](const V& v, const Json& j, const P& p) { v.number(j, p, -kInf, kInf); }, kBnn | kPg},
    {"gate_alpha", positive, kBnn | kPg},
    {"sparse_bp", boolean, kBnn | kPg},
    {"gate_penalty", non_negative, kBnn | kPg},
    {"gate_target", unit_interval, kBnn | kPg},
    {"levels", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 256); }, kBnn | kMlp},
    {"sign_clip", positive, kBnn | kMlp},
    {"weight_clip", positive, kBnn | kMlp},
    {"latent_clip", non_negative, kBnn | kMlp},
    {"binary_weights", boolean, kBnn | kMlp},
    {"hidden",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 0, 64, [&](const Json& e, const P& ep) { v.integer(e, ep, 1, 65536); });
     },
     kMlp},
    {"stage_blocks",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 1, 16, [&](const Json& e, const P& ep) { v.integer(e, ep, 1, 64); });
     },
     kPoke},
    {"features",
     [](const V& v, const Json& j, const P& p) {
       v.each(j, p, 1, 16, [&](const Json& e, const P& ep) { v.integer(e, ep, 1, 4096); });
     },
     kPoke},
    {"multiplier", [](const V& v, const Json& j, const P& p) { v.number(j, p, 0, 64, true); }, kPoke},
    {"stem_kernel", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 64); }, kPoke},
    {"init_group", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 4096); }, kPoke},
    {"init_features", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 4096); }, kPoke},
    {"act_clip", positive, kPoke},
    {"abits", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 2, 8); }, kPg},
    {"hbits", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 7); }, kPg},
    {"wbits", [](const V& v, const Json& j, const P& p) { v.integer(j, p, 1, 8); }, kPg},
    {"image_bound", positive, kPoke},
    {"act_bound", positive, kPoke},
    {"se_in_bound", positive, kPoke},
    {"se_mid_bound", positive, kPoke},
};

// The bit of a model type (kModelTypes order); 0 when absent.
unsigned type_bit(const V& v, const Json& model, const P& path) {
  if (!model.contains("type")) return 0;
  const Json& t = model.at("type");
  v.choice(t, join(path, "type"), kModelTypes);
  const auto it = std::find(std::begin(kModelTypes), std::end(kModelTypes), t.get_ref<const std::string&>());
  return 1u << (it - std::begin(kModelTypes));
}

// Throws unless model type `bit` takes the model key `key` at `path`; `note` says where the type comes from.
void check_type_takes(const V& v, const P& path, const std::string& key, unsigned bit,
                      const std::string& note) {
  if ((find_key(v, kModelKeys, path, key).types & bit) != 0) return;
  v.fail(join(path, key) + " is not a key of model type \"" + kModelTypes[std::countr_zero(bit)] + "\"" +
         note);
}

// A model object (or a stage's overrides) whose type is `bit` (0: unknown yet, any model key is accepted).
void check_model(const V& v, const Json& model, const P& path, unsigned bit) {
  check_keys(v, model, path, kModelKeys);
  if (bit == 0) return;
  for (const auto& [key, value] : model.items()) check_type_takes(v, path, key, bit, "");
}

void require_type(const V& v, unsigned bit, const P& path) {
  if (bit == 0)
    v.fail(path +
           ".type is missing (\"resnet20_bnn\", \"resnet20_fp\", \"mlp_bnn\", \"pokebnn\", "
           "\"fracbnn_reactnet\" or \"resnet20_pg\")");
}

void check_stages(const V& v, const Json& stages, const Json& base_model, unsigned base_type) {
  v.array(stages, "stages", 1, 64);
  std::set<std::string> names;
  for (size_t i = 0; i < stages.size(); ++i) {
    const P path = "stages[" + std::to_string(i) + "]";
    const Json& s = stages[i];
    v.object(s, path);
    for (const auto& [key, value] : s.items()) {
      const Key keys[] = {{"name", nullptr, 0}, {"model", nullptr, 0}, {"train", nullptr, 0}};
      find_key(v, keys, path, key);
    }
    std::string name = "stage" + std::to_string(i + 1);
    if (s.contains("name")) {
      v.file_name(s.at("name"), path + ".name");
      name = s.at("name").get<std::string>();
    }
    // checkpoint.pt and latest.raw are the run's own files; <stage>.pt / <stage>.raw must not replace them.
    if (name == "checkpoint" || name == "latest") v.fail(path + ".name \"" + name + "\" is reserved");
    if (!names.insert(name).second) v.fail(path + ".name \"" + name + "\" is used by an earlier stage");
    unsigned bit = base_type;
    if (s.contains("model")) {
      const Json& m = s.at("model");
      v.object(m, path + ".model");
      if (const unsigned own = type_bit(v, m, path + ".model")) bit = own;
      check_model(v, m, path + ".model", bit);
    }
    require_type(v, bit, base_type == 0 ? path + ".model" : "model");
    // The stage's model is the base model with the overrides: the base's keys must suit the stage's type too.
    for (const auto& [key, value] : base_model.items())
      check_type_takes(v, "model", key, bit, " (" + path + ")");
    if (s.contains("train")) check_keys(v, s.at("train"), path + ".train", kTrainKeys);
  }
}

const Key kTopKeys[] = {
    {"name", [](const V& v, const Json& j, const P& p) { v.file_name(j, p); }, 0},
    {"description", [](const V& v, const Json& j, const P& p) { v.string(j, p); }, 0},
    {"data", [](const V& v, const Json& j, const P& p) { check_keys(v, j, p, kDataKeys); }, 0},
    {"model", nullptr, 0},
    {"train", [](const V& v, const Json& j, const P& p) { check_keys(v, j, p, kTrainKeys); }, 0},
    {"distill",
     [](const V& v, const Json& j, const P& p) {
       check_keys(v, j, p, kDistillKeys);
       if (!j.contains("teacher")) v.fail(p + ".teacher is missing (the teacher's checkpoint)");
     },
     0},
    {"stages", nullptr, 0},
    {"resolved_stages", nullptr, 0},  // the trainer's own output: recomputed
};

}  // namespace

void validate_config(const Json& config, const std::string& origin) {
  const Validator v(origin);
  if (!config.is_object()) v.fail("a config must be a JSON object, not " + std::string(a_type(config)));
  check_keys(v, config, "", kTopKeys);
  if (!config.contains("model")) v.fail("no \"model\" object");
  const Json& model = config.at("model");
  v.object(model, "model");
  const unsigned base_type = type_bit(v, model, "model");
  check_model(v, model, "model", base_type);
  if (config.contains("stages")) {
    check_stages(v, config.at("stages"), model, base_type);
  } else {
    require_type(v, base_type, "model");
  }
}

Json parse_config(std::string_view text, const std::string& origin) {
  Json j;
  try {
    j = Json::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ...": keep what follows the tag,
    // bounded (the "last read" part can quote a long token).
    std::string msg = e.what();
    if (const size_t tag = msg.find("] ");
        msg.rfind("[json.exception.", 0) == 0 && tag != std::string::npos) {
      msg.erase(0, tag + 2);
    }
    throw Error("config '" + origin + "': not valid JSON: " + printable(msg, 200));
  }
  validate_config(j, origin);
  j.erase("resolved_stages");
  return j;
}

Json load_config(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error("config '" + path + "' is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open config '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[65536];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (static_cast<int64_t>(text.size()) > kMaxConfigBytes)
      throw Error("config '" + path + "' is larger than 16 MiB; is it a config?");
  }
  if (f.bad()) throw Error("cannot read config '" + path + "'");
  return parse_config(text, path);
}

Json resolve_stages(const Json& config) {
  Json stages = Json::array();
  const Json base_model = config.at("model");
  const Json base_train = config.value("train", Json::object());
  if (!config.contains("stages")) {
    stages.push_back({{"name", "train"}, {"model", base_model}, {"train", base_train}});
    return stages;
  }
  int k = 0;
  for (const auto& s : config.at("stages")) {
    Json m = base_model, t = base_train;
    m.merge_patch(s.value("model", Json::object()));
    t.merge_patch(s.value("train", Json::object()));
    stages.push_back({{"name", s.value("name", "stage" + std::to_string(++k))}, {"model", m}, {"train", t}});
  }
  return stages;
}

}  // namespace bnnkit::train
