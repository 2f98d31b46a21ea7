// hashgate-kafka-mock: a Kafka cluster for tests and `make run-cluster`, over librdkafka's mock
// cluster (rdkafka_mock.h): N brokers on loopback, the topics <prefix>.events and
// <prefix>.optouts, the bootstrap servers on stdout's first line. It runs until stdin closes or
// SIGTERM/SIGINT, and obeys commands on stdin, one per line, each answered on stdout:
//   down <broker|-1>   the broker stops accepting connections (rd_kafka_mock_broker_set_down)
//   up <broker|-1>     it accepts them again
//   keys <topic>       every record key of the topic, one line each, then "end"
// Dev tool only: the mock keeps everything in memory and does not compact (docs/deploy.md).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "gateway/kafka/client.hpp"
#include "gateway/kafka/records.hpp"

namespace {

using namespace hashgate::gw::kafka;

struct Options {
  int brokers = 3;
  int partitions = 3;
  std::string prefix = "hashgate";
};

void usage(std::FILE* to) {
  std::fputs(
      "usage: hashgate-kafka-mock [--brokers N] [--partitions N] [--prefix P]\n"
      "  starts N (default 3) mock Kafka brokers on loopback with the topics P.events and\n"
      "  P.optouts (default prefix hashgate, 3 partitions each), prints the bootstrap servers,\n"
      "  and runs until stdin closes or SIGTERM. stdin commands: down B | up B | keys TOPIC\n",
      to);
}

/// Reads a count 1–64 from `text`; false for anything else.
bool count(const char* text, int& out) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end || v < 1 || v > 64) return false;
  out = static_cast<int>(v);
  return true;
}

/// Parses argv; 0 to go on, else the exit status (+1).
int parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--brokers" && has_value && count(argv[++i], o.brokers)) continue;
    if (a == "--partitions" && has_value && count(argv[++i], o.partitions)) continue;
    if (a == "--prefix" && has_value && *argv[i + 1]) {
      o.prefix = argv[++i];
      continue;
    }
    const bool help = a == "--help" || a == "-h";
    usage(help ? stdout : stderr);
    return help ? 1 : 65;
  }
  return 0;
}

/// Prints every key of `topic` (read from the beginning to the high watermarks), then "end".
void print_keys(const char* bootstraps, const std::string& topic) {
  std::string why;
  Handle rk = make_handle(RD_KAFKA_CONSUMER,
                          make_conf({bootstraps, "", {}}, {},
                                    {{"group.id", "hashgate-kafka-mock-keys"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.partition.eof", "true"}},
                                    why),
                          why);
  const int n = rk ? partition_count(rk.get(), topic, 5000, why) : -1;
  if (n < 0) return void(std::printf("error %s\nend\n", why.c_str()));
  Partitions list(rd_kafka_topic_partition_list_new(n));
  int open = 0;
  for (int p = 0; p < n; ++p) {
    std::int64_t lo = 0, hi = 0;
    rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &lo, &hi, 5000);
    if (hi > lo)
      ++open, rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = lo;
  }
  rd_kafka_assign(rk.get(), list.get());
  while (open > 0) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 1000);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
      --open;
    else if (!m->err)
      std::printf("%.*s\n", static_cast<int>(m->key_len), static_cast<const char*>(m->key));
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  std::printf("end\n");
}

/// Runs one stdin command against the cluster and prints its answer.
void command(rd_kafka_mock_cluster_t* mc, const std::string& line) {
  std::istringstream in(line);
  std::string verb, arg;
  in >> verb >> arg;
  if (verb == "keys" && !arg.empty()) {
    print_keys(rd_kafka_mock_cluster_bootstraps(mc), arg);
  } else if ((verb == "down" || verb == "up") && !arg.empty()) {
    const auto id = static_cast<std::int32_t>(std::strtol(arg.c_str(), nullptr, 10));
    const rd_kafka_resp_err_t err = verb == "down" ? rd_kafka_mock_broker_set_down(mc, id)
                                                   : rd_kafka_mock_broker_set_up(mc, id);
    std::printf(err ? "error %s\n" : "ok\n", rd_kafka_err2str(err));
  } else {
    std::printf("error unknown command (down B | up B | keys TOPIC)\n");
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int status = parse(argc, argv, o)) return status - 1;
  // Signals are taken by sigwait below: block them before librdkafka starts its threads.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr, sizeof errstr);
  rd_kafka_mock_cluster_t* mc = rk ? rd_kafka_mock_cluster_new(rk, o.brokers) : nullptr;
  if (!mc) return std::fprintf(stderr, "hashgate-kafka-mock: cannot start: %s\n", errstr), 70;
  for (const std::string& topic : {events_topic(o.prefix), optouts_topic(o.prefix)})
    rd_kafka_mock_topic_create(mc, topic.c_str(), o.partitions, std::min(o.brokers, 3));
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);
  std::thread([mc] {
    for (std::string line; std::getline(std::cin, line);) command(mc, line);
    kill(getpid(), SIGTERM);  // stdin closed: stop like a SIGTERM
  }).detach();
  int sig = 0;
  sigwait(&stop, &sig);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
