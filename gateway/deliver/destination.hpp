#pragma once
// A tenant's destinations (config key `destinations`): where accepted events and opt-outs are
// forwarded, which event types, which TCF vendor gates them, and how long to keep retrying. The
// config file names environment variables; the secrets themselves are read at start-up.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gateway/deliver/url.hpp"

namespace hashgate::gw::deliver {

/// What a destination speaks (config key `kind`).
enum class Kind : std::uint8_t { webhook, meta_capi, google_dm };

/// The config spelling of `kind` ("webhook", "meta_capi", "google_dm").
std::string_view to_string(Kind kind);
/// Parses a config spelling into `out`; false on anything else.
bool parse_kind(std::string_view text, Kind& out);

/// A secret read from the environment: never printed by us, zeroed when destroyed or replaced.
class Secret {
 public:
  Secret() = default;
  /// Takes `value` (the caller's copy is moved from, so no second copy stays behind).
  explicit Secret(std::string&& value) : m_value(std::move(value)) {}
  Secret(const Secret& other) : m_value(other.m_value) {}
  Secret& operator=(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();
  /// The secret's bytes, for signing or an Authorization header only.
  std::string_view view() const { return m_value; }
  bool empty() const { return m_value.empty(); }

 private:
  std::string m_value;
};

/// Google Data Manager account types the config accepts for `operating_account_type` and
/// `login_account_type` (the Data Manager API's AccountType values).
enum class GoogleAccountType : std::uint8_t {
  google_ads,
  display_video_partner,
  display_video_advertiser,
  data_partner
};
/// The API spelling, e.g. "GOOGLE_ADS".
std::string_view to_string(GoogleAccountType type);

/// Settings only a meta_capi destination has.
struct MetaSettings {
  std::string pixel_id;         ///< the dataset (pixel) that receives events, digits
  std::string audience_id;      ///< the customer-file custom audience for members and removals
  std::string test_event_code;  ///< optional: routes events to Events Manager's Test Events
};

/// Settings only a google_dm destination has.
struct GoogleSettings {
  GoogleAccountType operating_account_type = GoogleAccountType::google_ads;
  std::string operating_account_id;  ///< digits, without dashes
  std::optional<GoogleAccountType> login_account_type;
  std::string login_account_id;      ///< optional (manager or partner account)
  std::string conversion_action_id;  ///< productDestinationId for events:ingest
  std::string user_list_id;          ///< productDestinationId for audienceMembers:ingest/remove
};

/// OAuth 2.0 refresh-token credentials of a google_dm destination (config key `oauth`): the
/// gateway exchanges the refresh token for short-lived access tokens itself (RFC 6749 §6),
/// instead of reading one access token at start-up. Secrets come from the environment.
struct OAuthSettings {
  Url token_url;                  ///< default https://oauth2.googleapis.com/token
  std::string client_id;          ///< the OAuth client's id (not a secret)
  std::string client_secret_env;  ///< variable that held `client_secret`
  Secret client_secret;
  std::string refresh_token_env;  ///< variable that held `refresh_token`
  Secret refresh_token;
};

/// One configured destination of one tenant.
struct Destination {
  std::string tenant;  ///< the owning tenant's id (set by parse_destinations' caller)
  std::string id;      ///< unique across the gateway; the `destination` label of the metrics
  Kind kind = Kind::webhook;
  Url url;  ///< webhook: the receiver; meta_capi/google_dm: the API base (overridable for tests)
  std::vector<std::string> events;  ///< event types to forward; empty = all
  int tcf_vendor_id = 0;            ///< the recipient's GVL id; 0 = not gated by vendor consent
  std::string secret_env;           ///< name of the variable that held `secret`
  Secret secret;  ///< webhook signing secret, or the platform access token (empty with `oauth`)
  std::optional<OAuthSettings> oauth;  ///< google_dm only: refreshed access tokens
  int max_age_hours = 168;             ///< give up on a row this long after it was written
  std::size_t batch_events = 500;      ///< events per request
  int timeout_ms = 10000;              ///< connect and request timeout, each
  std::string ca_file;                 ///< optional PEM bundle that replaces the system CAs
  MetaSettings meta;
  GoogleSettings google;

  /// True when events of `type` are forwarded here (`events` empty or naming it).
  bool wants(std::string_view type) const;
};

/// Looks up an environment variable; empty optional when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
/// The process environment (std::getenv).
std::optional<std::string> system_env(const std::string& name);

/// Parses the `destinations` array `value` of tenant `tenant`; `where` is its key path for
/// messages (e.g. "tenants[0].destinations"). Secrets are read through `env`. `seen_ids` holds
/// destination ids already used by other tenants (ids are gateway-wide; this adds to it).
/// Throws config::ConfigError ("config: <key>: <why>") naming the key, never a secret's value.
std::vector<Destination> parse_destinations(const nlohmann::json& value, const std::string& where,
                                            const std::string& tenant,
                                            std::set<std::string>& seen_ids,
                                            const EnvLookup& env = system_env);

/// The event types a destination may name in `events` (the gateway's accepted types).
const std::set<std::string, std::less<>>& known_event_types();

}  // namespace hashgate::gw::deliver
