// Durable, atomic replacement of a file: what save_model does for models, and the trainer for checkpoints,
// raw state files, its log and its copy of the config.
//
// The bytes go to a temporary file "<name>.tmp.<pid>" in the target's folder (so the rename cannot cross
// file systems), which is fsync'ed and then renamed over the target; then the folder is fsync'ed so that the
// rename itself survives a power cut. A crash or kill at any point leaves either the old file or the new one,
// never a mix; at worst a stale temporary file remains next to it.
#pragma once

#include <string>
#include <string_view>

namespace bnnkit::runtime {

// Throws bnnkit::Error "cannot write <what> '<path>': <step>: <strerror>" (what: e.g. "checkpoint").
void write_file_atomic(const std::string& path, std::string_view bytes, std::string_view what = "file");

}  // namespace bnnkit::runtime
