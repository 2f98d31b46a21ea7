// `hashgate`: the command-line tool. All logic lives in hashgate_cli_lib (commands.hpp).
#include <span>

#include "commands.hpp"

int main(int argc, char** argv) {
  return hashgate::cli::run(
      std::span<char*>(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)));
}
