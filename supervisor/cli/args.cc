#include "cli/args.h"

#include <stdexcept>

namespace radflare {

Args parse_args(int argc, char** argv, const std::set<std::string>& valued) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--")) {
      std::string value;
      bool inline_value = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        value = a.substr(eq + 1);
        a.resize(eq);
        inline_value = true;
      }
      if (valued.count(a)) {
        if (!inline_value) {
          if (i + 1 >= argc) throw std::invalid_argument("option " + a + " needs a value");
          value = argv[++i];
        }
        args.options[a] = value;
      } else {
        if (inline_value) throw std::invalid_argument("option " + a + " takes no value");
        args.flags.insert(a);
      }
    } else if (a == "-h") {
      args.flags.insert("--help");
    } else if (args.command.empty()) {
      args.command = a;
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

}  // namespace radflare
