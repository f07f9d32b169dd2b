// The one exception type of the public API. Its message is a single line a user can act on: it names the
// file, op, tensor or shape involved and what is wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace bnnkit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace bnnkit
