#include "bnnkit/bnnkit.h"
#include "model/model_file.h"
#include "runtime/infer.h"

namespace bnnkit {

Model Model::load(const std::string& path) {
  const std::vector<uint8_t> bytes = model_file::read_file(path);
  return Model(std::make_shared<const Graph>(model_file::parse(bytes, path)));
}

Model Model::from_bytes(std::span<const uint8_t> bytes, const std::string& origin) {
  return Model(std::make_shared<const Graph>(model_file::parse(bytes, origin)));
}

Model Model::from_graph(Graph graph) {
  runtime::validate_graph(graph);
  return Model(std::make_shared<const Graph>(std::move(graph)));
}

namespace {
std::vector<TensorInfo> infos(const Graph& g, const std::vector<int>& ids) {
  std::vector<TensorInfo> out;
  for (int t : ids) out.push_back({g.tensors[t].name, g.tensors[t].dtype, g.tensors[t].shape});
  return out;
}
}  // namespace

std::vector<TensorInfo> Model::inputs() const {
  return infos(*graph_, graph_->inputs);
}
std::vector<TensorInfo> Model::outputs() const {
  return infos(*graph_, graph_->outputs);
}

}  // namespace bnnkit
