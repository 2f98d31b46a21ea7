#pragma once
// Gateway configuration: one JSON file, validated strictly at start-up (unknown keys are errors),
// read into typed values: enums for the choices, the API key digest as bytes.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/onboarding/agreements.hpp"  // Role, Agreement
#include "gateway/store/store.hpp"            // Durability
#include "hashgate/types.hpp"
#include "tcf/consent.hpp"  // LegalBasis

namespace hashgate::gw::config {

using hashgate::tcf::LegalBasis;

/// A configuration error; what() names the offending key (never a secret value).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One public site key and the browser origins allowed to use it ("self" = the gateway's own).
struct SiteKey {
  std::string key;
  std::vector<std::string> allowed_origins;
};

/// TCF policy of a tenant (mirrors hashgate::gw::TcfPolicy of policy/consent.hpp).
/// PII guard settings of a tenant (`pii`, docs/configuration.md).
struct PiiSettings {
  /// National numbering plans phone numbers are checked against (`pii.phone_regions`);
  /// absent: policy::default_phone_regions().
  std::optional<std::vector<Region>> phone_regions;
  /// JSON pointers below an event, under /custom, whose values are known non-PII identifiers
  /// ("*" = any one key or index): not checked for phone numbers (`pii.allow_paths`).
  std::vector<std::string> allow_paths;
};

struct TcfSettings {
  int vendor_id = 0;
  std::vector<int> required_purposes{1};
  bool require_vendor_consent = true;
  bool strict_policy_version = true;
};

/// A SHA-256 digest.
using Sha256 = std::array<unsigned char, 32>;

/// One tenant (an advertiser or publisher) with its keys and privacy policy.
struct Tenant {
  std::string id;
  std::vector<SiteKey> site_keys;
  std::optional<Sha256> api_key_sha256;          ///< sha256 of the secret API key (config: 64 hex)
  LegalBasis legal_basis = LegalBasis::consent;  ///< config: consent | legitimate_interest
  TcfSettings tcf;
  PiiSettings pii;
  bool gpc = true;              ///< honour Sec-GPC: 1 as an opt-out
  bool set_uid_cookie = false;  ///< may the gateway set its hg_uid first-party cookie
  int retention_days = 90;      ///< events older than this are purged
  /// Onboarding role (config: advertiser | publisher | both; default advertiser).
  onboarding::Role role = onboarding::Role::advertiser;
};

/// The SameSite attribute of the gateway's cookies (config: Strict | Lax | None).
enum class SameSite { strict, lax, none };

/// When the gateway's cookies carry Secure (config: auto | always | never); `automatic`: unless
/// the request came over plain HTTP to localhost.
enum class CookieSecure { automatic, always, never };

/// The attribute value of `s`: "Strict", "Lax" or "None".
std::string_view to_string(SameSite s);

/// The config spelling of `s`: "auto", "always" or "never".
std::string_view to_string(CookieSecure s);

/// Cookie attributes.
struct Cookies {
  SameSite same_site = SameSite::lax;
  CookieSecure secure = CookieSecure::automatic;
  int uid_max_age_days = 395;     ///< ≤ 400
  int optout_max_age_days = 400;  ///< ≤ 400
};

/// Which store the gateway writes to (config: `store.kind`, sqlite | kafka).
enum class StoreKind { sqlite, kafka };

/// The Kafka store's settings (`store.brokers`, `store.topic_prefix`, `store.kafka`;
/// docs/deploy.md). Only read when `store.kind` is kafka.
struct KafkaSettings {
  std::string brokers;                    ///< bootstrap servers, "host:port,host:port"
  std::string topic_prefix = "hashgate";  ///< topics are <prefix>.events and <prefix>.optouts
  /// librdkafka properties passed through as written (values as strings). The gateway checks
  /// them with librdkafka at start-up and refuses to start naming `store.kafka.<name>`.
  std::vector<std::pair<std::string, std::string>> properties;
};

/// The whole gateway configuration.
struct Config {
  std::string address = "127.0.0.1";
  int port = 8080;
  int threads = 1;  ///< I/O threads; when the key is absent, default_threads()
  std::vector<std::string> public_origins;  ///< extra origins that count as "self"

  std::size_t body_limit = 1 << 20;
  std::size_t header_limit = 16 * 1024;
  std::size_t max_events = 500;
  std::size_t json_depth = 24;
  std::size_t max_connections = 1024;
  std::size_t pipeline_limit = 8;

  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds drain_timeout{10000};

  std::string tls_cert;  ///< PEM certificate chain; TLS is on when both cert and key are set
  std::string tls_key;
  bool tls() const { return !tls_cert.empty() && !tls_key.empty(); }

  Cookies cookies;

  std::string sdk_root = "web/dist";   ///< served under /sdk/
  std::string demo_root = "web/demo";  ///< served under /demo/
  std::string csp;                     ///< Content-Security-Policy for static files

  std::string data_dir = "./var";
  Durability durability = Durability::full;  ///< config: normal | full | extra
  std::size_t queue_high_water = 20000;
  std::chrono::seconds retention_interval{3600};
  StoreKind store_kind = StoreKind::sqlite;  ///< config: store.kind
  KafkaSettings kafka;                       ///< used when store_kind is kafka

  std::vector<Tenant> tenants;
  /// Data-exchange agreements between an advertiser and a publisher (top-level `agreements`;
  /// docs/onboarding.md). Empty when the key is absent.
  std::vector<onboarding::Agreement> agreements;
  std::string source_sha256;  ///< sha256 (hex) of the config file bytes, for the audit log
};

/// Default Content-Security-Policy for static pages.
extern const char* const k_default_csp;

/// Parses configuration JSON text. Throws ConfigError naming the key on any problem.
Config parse_config(const std::string& text);

/// Reads and parses the file at `path`, then applies HASHGATE_PORT and HASHGATE_DATA_DIR from
/// the environment. Throws ConfigError naming the key (or the file) on any problem.
Config load_config(const std::string& path);

/// I/O threads when the configuration does not say: one per core, minus one for the store's
/// writer thread, at least one (on a 2-core machine 1 thread served as many requests as 2 with
/// less CPU per request, docs/performance.md).
int default_threads();

/// Lowercase hex SHA-256 of `data` (OpenSSL libcrypto).
std::string sha256_hex(const std::string& data);

}  // namespace hashgate::gw::config
