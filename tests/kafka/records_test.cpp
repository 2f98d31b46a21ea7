// Unit tests of the Kafka records (gateway/kafka/records.hpp), the replica's suppression set
// (suppression.hpp), the store.kind kafka configuration and librdkafka's check of the
// properties (client.hpp).
#include <gtest/gtest.h>

#include <climits>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/kafka/client.hpp"
#include "gateway/kafka/records.hpp"
#include "gateway/kafka/suppression.hpp"

using namespace hashgate::gw;
using namespace hashgate::gw::kafka;

namespace {

const std::string k_em = "d648b243a3e817eaa3309e00e183483f2867baadf522099f0c2121770536b25a";

EventRecord sample_event() {
  EventRecord ev;
  ev.tenant = "t1";
  ev.event_id = "e-1";
  ev.type = "purchase";
  ev.time = 1700000000;
  ev.received = 1700000005;
  ev.ids = {{"em", k_em}, {"ph", std::string(64, 'a')}};
  ev.uid = "u-1";
  ev.online_ids_json = R"({"ip":"x"})";
  ev.custom_json = R"({"value":10,"nested":{"a":[1,2]}})";
  ev.legal_basis = "consent";
  ev.consent_summary = R"({"gdpr":1})";
  return ev;
}

std::string sample_value() { return encode_event(sample_event()); }

/// `value` with the first occurrence of `from` replaced by `to`.
std::string replaced(std::string value, const std::string& from, const std::string& to) {
  const auto at = value.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return value.replace(at, from.size(), to);
}

}  // namespace

TEST(KafkaRecords, EventRoundTrips) {
  const auto ev = decode_event(sample_value());
  ASSERT_TRUE(ev);
  const EventRecord want = sample_event();
  EXPECT_EQ(ev->tenant, want.tenant);
  EXPECT_EQ(ev->event_id, want.event_id);
  EXPECT_EQ(ev->type, want.type);
  EXPECT_EQ(ev->time, want.time);
  EXPECT_EQ(ev->received, want.received);
  EXPECT_EQ(ev->ids, want.ids);
  EXPECT_EQ(ev->uid, want.uid);
  EXPECT_EQ(ev->online_ids_json, want.online_ids_json);
  EXPECT_EQ(ev->custom_json, want.custom_json);
  EXPECT_EQ(ev->legal_basis, want.legal_basis);
  EXPECT_EQ(ev->consent_summary, want.consent_summary);
  EXPECT_EQ(event_key(want), "t1/e-1");
  EXPECT_EQ(events_topic("hg"), "hg.events");
  EXPECT_EQ(optouts_topic("hg"), "hg.optouts");
}

TEST(KafkaRecords, EventDecoderRefusesMalformedTruncatedAndHostile) {
  const std::string v = sample_value();
  EXPECT_FALSE(decode_event(""));
  EXPECT_FALSE(decode_event("null"));
  EXPECT_FALSE(decode_event("[]"));
  EXPECT_FALSE(decode_event(v.substr(0, v.size() - 1)));  // truncated
  EXPECT_FALSE(decode_event(v.substr(0, v.size() / 2)));
  EXPECT_FALSE(decode_event(v + "x"));  // trailing bytes
  EXPECT_FALSE(decode_event(replaced(v, "\"tenant\":\"t1\"", "\"tenant\":\"\"")));   // empty
  EXPECT_FALSE(decode_event(replaced(v, "\"time\":1700000000", "\"time\":\"1\"")));  // type
  EXPECT_FALSE(decode_event(replaced(v, "\"time\":1700000000", "\"time\":1.5")));
  EXPECT_FALSE(decode_event(replaced(v, "\"uid\":\"u-1\"", "\"uid\":\"u-1\",\"extra\":1")));
  EXPECT_FALSE(decode_event(replaced(v, ",\"uid\":\"u-1\"", "")));              // member missing
  EXPECT_FALSE(decode_event(replaced(v, "[\"em\",", "[\"em\",1,")));            // id pair of three
  EXPECT_FALSE(decode_event(replaced(v, "\"custom\":\"{", "\"custom\":\"[")));  // not an object
  // Nesting beyond the record's own shape, and beyond k_max_inner_depth inside custom.
  EXPECT_FALSE(decode_event(replaced(
      v, "\"type\":\"purchase\"", "\"type\":" + std::string(5000, '[') + std::string(5000, ']'))));
  EXPECT_FALSE(decode_event(
      replaced(v, "\"custom\":\"{",
               "\"custom\":\"{\\\"a\\\":" + std::string(100, '[') + std::string(100, ']') + "}")));
  // Oversized: more than k_max_record_bytes.
  EXPECT_FALSE(decode_event(replaced(v, "\"type\":\"purchase\"",
                                     "\"type\":\"" + std::string(k_max_record_bytes, 'a') + "\"")));
  EXPECT_FALSE(decode_event(std::string("{\"tenant\":\"t1\xff\"}")));  // invalid UTF-8
}

TEST(KafkaRecords, EventV2CarriesTheConsentSignals) {
  EventRecord with = sample_event();
  with.signals = ConsentSignals{true, true, "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", false};
  const std::string v = encode_event(with);
  EXPECT_NE(v.find("\"v\":2"), std::string::npos) << v;
  const auto back = decode_event(v);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->signals.known);
  EXPECT_TRUE(back->signals.gdpr);
  EXPECT_FALSE(back->signals.gpc);
  EXPECT_EQ(back->signals.tc, with.signals.tc);
  EXPECT_EQ(encode_event(*back), v);
  // Version 1 (no "v", no "signals") still decodes, without signals.
  const auto v1 = decode_event(sample_value());
  ASSERT_TRUE(v1);
  EXPECT_FALSE(v1->signals.known);
  EXPECT_EQ(sample_value().find("\"v\""), std::string::npos);
  // Hostile v2: another version, signals missing, of another type, with a member too many or
  // too few, or "v" without the v2 members.
  EXPECT_FALSE(decode_event(replaced(v, "\"v\":2", "\"v\":3")));
  EXPECT_FALSE(decode_event(replaced(v, "\"v\":2", "\"v\":\"2\"")));
  EXPECT_FALSE(decode_event(replaced(v, "\"gdpr\":true", "\"gdpr\":1")));
  EXPECT_FALSE(decode_event(replaced(v, "\"gpc\":false", "\"gpc\":false,\"x\":1")));
  EXPECT_FALSE(decode_event(replaced(v, ",\"gpc\":false", "")));
  EXPECT_FALSE(decode_event(replaced(v, "\"tc\":\"", "\"tc\":[\"")));
  EXPECT_FALSE(decode_event(replaced(v, "\"signals\":{", "\"signals\":[{")));
  EXPECT_FALSE(decode_event(replaced(sample_value(), "{", "{\"v\":2,")));
  EXPECT_FALSE(decode_event(v.substr(0, v.size() - 3)));  // truncated
}

TEST(KafkaRecords, EventEncoderWritesWhatNlohmannReadsBack) {
  // The hand-written encoder against nlohmann's parser, with every kind of byte a string may
  // hold: quotes, backslashes, control characters, multi-byte UTF-8.
  EventRecord ev = sample_event();
  ev.event_id = std::string("e\"\\/\x01\x1f\n\t\x7f") + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  ev.type = "";
  ev.time = -1;
  ev.received = INT64_MAX;
  ev.signals = ConsentSignals{true, false, "a\"b", true};
  const auto j = nlohmann::json::parse(encode_event(ev));
  EXPECT_EQ(j.at("event_id").get<std::string>(), ev.event_id);
  EXPECT_EQ(j.at("type").get<std::string>(), "");
  EXPECT_EQ(j.at("time").get<std::int64_t>(), -1);
  EXPECT_EQ(j.at("received").get<std::int64_t>(), INT64_MAX);
  EXPECT_EQ(j.at("ids"), nlohmann::json::parse(R"([["em",")" + k_em + R"("],["ph",")" +
                                               std::string(64, 'a') + R"("]])"));
  EXPECT_EQ(j.at("custom").get<std::string>(), ev.custom_json);
  EXPECT_EQ(j.at("signals"), nlohmann::json::parse(R"({"gdpr":false,"tc":"a\"b","gpc":true})"));
  EXPECT_EQ(j.size(), 13u);
  const auto back = decode_event(encode_event(ev));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->event_id, ev.event_id);
  EventRecord no_ids = sample_event();
  no_ids.ids.clear();
  EXPECT_EQ(nlohmann::json::parse(encode_event(no_ids)).at("ids"), nlohmann::json::array());
}

TEST(KafkaRecords, OptRecordRoundTripsAndRefusesHostile) {
  const OptRecord r{OptOp::optout, "t1", k_em, false, "optout_api", 1700000000};
  const auto back = decode_opt(encode_opt(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->op, OptOp::optout);
  EXPECT_EQ(back->tenant, "t1");
  EXPECT_EQ(back->id, k_em);
  EXPECT_FALSE(back->is_uid);
  EXPECT_EQ(back->source, "optout_api");
  EXPECT_EQ(back->time, 1700000000);
  EXPECT_EQ(opt_key(r), "t1/" + k_em);
  EXPECT_EQ(opt_key(OptRecord{OptOp::optin, "t1", "u-1", true, "", 0}), "t1/uid:u-1");
  const std::string v = encode_opt(r);
  EXPECT_FALSE(decode_opt(replaced(v, "\"optout\"", "\"delete\"")));
  EXPECT_FALSE(decode_opt(replaced(v, "\"uid\":false", "\"uid\":0")));
  EXPECT_FALSE(decode_opt(replaced(v, "\"id\":\"" + k_em + "\"", "\"id\":\"\"")));
  EXPECT_FALSE(decode_opt(v.substr(0, v.size() - 2)));
  EXPECT_FALSE(decode_opt(sample_value()));  // an event is not an opt-out
  EXPECT_FALSE(decode_event(v));
}

TEST(KafkaSuppression, NewerOffsetWinsAndIdsAreKeyedPerTenant) {
  SuppressionSet s;
  const std::string key = suppression_key("t1", k_em);
  EXPECT_NE(key.find(k_em), 0u);  // the key is a digest, not the id
  EXPECT_EQ(key.size(), 32u);
  EXPECT_TRUE(s.apply(key, 5, true));
  EXPECT_TRUE(s.contains("t1", k_em));
  EXPECT_FALSE(s.contains("t2", k_em));
  std::string upper = k_em;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(s.contains("t1", upper));  // ids are compared lowercased
  EXPECT_FALSE(s.apply(key, 3, false));  // an older opt-in replayed later changes nothing
  EXPECT_TRUE(s.contains("t1", k_em));
  EXPECT_FALSE(s.apply(key, 7, false));  // a newer opt-in lifts it
  EXPECT_FALSE(s.contains("t1", k_em));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.contains("t1", ""));
}

namespace {

const std::string k_tenant =
    R"({"id":"t1","api_key_sha256":"12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b"})";

std::string store_error(const std::string& store) {
  try {
    config::parse_config(R"({"store":)" + store + R"(,"tenants":[)" + k_tenant + "]}");
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(KafkaConfig, ParsesThePinnedKeys) {
  const auto c = config::parse_config(
      R"({"store":{"kind":"kafka","brokers":"127.0.0.1:9092,kafka-2.internal:9093","topic_prefix":"hg.prod",)"
      R"("kafka":{"linger.ms":5,"compression.type":"lz4","socket.keepalive.enable":true}},"tenants":[)" +
      k_tenant + "]}");
  EXPECT_EQ(c.store_kind, config::StoreKind::kafka);
  EXPECT_EQ(c.kafka.brokers, "127.0.0.1:9092,kafka-2.internal:9093");
  EXPECT_EQ(c.kafka.topic_prefix, "hg.prod");
  ASSERT_EQ(c.kafka.properties.size(), 3u);
  EXPECT_EQ(c.kafka.properties[0],
            (std::pair<std::string, std::string>{"compression.type", "lz4"}));
  const auto d = config::parse_config(R"({"tenants":[)" + k_tenant + "]}");
  EXPECT_EQ(d.store_kind, config::StoreKind::sqlite);  // the default
  EXPECT_EQ(store_error(R"({"kind":"kafka","brokers":"h:1"})"), "");
  EXPECT_EQ(config::parse_config(R"({"store":{"kind":"kafka","brokers":"h:1"},"tenants":[)" +
                                 k_tenant + "]}")
                .kafka.topic_prefix,
            "hashgate");
}

TEST(KafkaConfig, BadKafkaConfigNamesTheKey) {
  auto names = [](const std::string& store, const std::string& key) {
    const std::string e = store_error(store);
    EXPECT_NE(e.find(key), std::string::npos) << store << " → " << e;
  };
  names(R"({"kind":"kafka"})", "store.brokers");
  names(R"({"kind":"kafka","brokers":""})", "store.brokers");
  names(R"({"kind":"kafka","brokers":"nohostport"})", "store.brokers");
  names(R"({"kind":"kafka","brokers":"h:0"})", "store.brokers");
  names(R"({"kind":"kafka","brokers":"h:65536"})", "store.brokers");
  names(R"({"kind":"kafka","brokers":"h:1,"})", "store.brokers");
  names(R"({"kind":"kafka","brokers":"h x:1"})", "store.brokers");
  names(R"({"kind":"kafka","brokers":7})", "store.brokers");
  names(R"({"kind":"rabbit"})", "store.kind");
  names(R"({"kind":"kafka","brokers":"h:1","topic_prefix":"a/b"})", "store.topic_prefix");
  names(R"({"kind":"kafka","brokers":"h:1","topic_prefix":""})", "store.topic_prefix");
  names(R"({"kind":"kafka","brokers":"h:1","kafka":[]})", "store.kafka");
  names(R"({"kind":"kafka","brokers":"h:1","kafka":{"acks":"1"}})", "store.kafka.acks");
  names(R"({"kind":"kafka","brokers":"h:1","kafka":{"enable.idempotence":false}})",
        "store.kafka.enable.idempotence");
  names(R"({"kind":"kafka","brokers":"h:1","kafka":{"bootstrap.servers":"x:1"}})",
        "store.kafka.bootstrap.servers");
  names(R"({"kind":"kafka","brokers":"h:1","kafka":{"linger.ms":1.5}})", "store.kafka.linger.ms");
  names(R"({"brokers":"h:1"})", "store.brokers");  // needs kind kafka
  names(R"({"kind":"kafka","brokers":"h:1","partitions":3})", "store.partitions");
}

TEST(KafkaConfig, LibrdkafkaRefusalsNameTheProperty) {
  config::KafkaSettings s{"127.0.0.1:1", "hashgate", {{"linger.ms", "5"}}};
  EXPECT_EQ(check_settings(s), "");
  s.properties = {{"no.such.property", "1"}};
  EXPECT_NE(check_settings(s).find("store.kafka.no.such.property"), std::string::npos);
  s.properties = {{"linger.ms", "minus one"}};
  EXPECT_NE(check_settings(s).find("store.kafka.linger.ms"), std::string::npos);
  s.properties = {{"compression.type", "rot13"}};
  EXPECT_NE(check_settings(s).find("store.kafka.compression.type"), std::string::npos);
}
