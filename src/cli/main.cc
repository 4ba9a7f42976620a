// The cairn command: a thin adapter over the library. Commands are listed in one table
// (cli/command.h) that drives both help and dispatch.

#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return cairn::cli::RunCli(args, stdout, stderr);
}
