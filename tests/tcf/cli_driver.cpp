// Stand-in for `hashgate` in tests: `hashgate_tcf_cli_driver tcf decode ...` calls the same
// entry point the CLI dispatches to.

int hashgate_tcf_command(int argc, char** argv);

int main(int argc, char** argv) {
  if (argc < 2) return 64;
  return hashgate_tcf_command(argc - 1, argv + 1);
}
