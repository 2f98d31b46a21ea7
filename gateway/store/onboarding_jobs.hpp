#pragma once
// The onboarding jobs of the writer thread (issue 14), internal to gateway/store: audience
// uploads and deletes, matches, the retention of matches, and what an opt-out removes from
// audiences, the publisher graph and matches. Each job is a TxnJob (jobs.hpp).

#include "store.hpp"

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace hashgate::gw::store_detail {

class Txn;

/// Adds and removes members of one audience (Store::update_audience).
struct AudienceJob {
  AudienceUpload upload;
  std::function<void(AudienceUploadResult)> done;
  AudienceUploadResult result;  ///< filled by run()

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Deletes one audience and its members (Store::delete_audience).
struct DeleteAudienceJob {
  std::string tenant, name;
  std::function<void(std::error_code, bool)> done;
  bool found = false;  ///< filled by run()

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Makes one match (Store::create_match).
struct MatchJob {
  MatchRequest request;
  std::function<void(MatchResult)> done;
  MatchResult result;  ///< filled by run()

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Deletes the matches of agreements not in `keep` (Store::purge_matches).
struct MatchPurgeJob {
  std::vector<std::string> keep;
  std::shared_ptr<std::promise<std::size_t>> result;  ///< matches deleted (0 on failure)
  std::size_t purged = 0;                             ///< filled by run()

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Activates a match to one destination (Store::activate_match; activation.cpp).
struct ActivateJob {
  ActivationRequest request;
  std::function<void(ActivationResult)> done;
  ActivationResult result;  ///< filled by run()

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Inside an outbox claim: turns the stored range of audience row `row_id` of publisher `tenant`
/// (`payload`: {"match_id","from","to"}, no identifier) into the members to send now, as
/// deliver::encode_members() text in `members`: the people of that range still in the match,
/// each with at most 10 of its hashed ids that are not suppressed (every identifying kind and
/// the uid when `webhook`, else e-mail and phone hashes only, the ones the platforms take).
/// Every id put in `members` is written into the ledger of `dest` at `sent` (unix seconds).
/// `members` is left empty when nobody is left to send.
int claim_audience_row(Txn& txn, const std::string& tenant, const std::string& dest,
                       const std::string& payload, bool webhook, std::int64_t sent,
                       std::string& members);

/// Inside an opt-out of the advertiser of match `match_id`: the people of publisher `publisher`
/// in that match who hold digest `bytes` are leaving it; for each destination the match was
/// activated to, queues a removal of the ids of theirs that the destination received (its
/// ledger), so the advertiser's opt-out also takes them out of the activated audience.
int remove_from_activations(Txn& txn, const std::string& match_id, const std::string& publisher,
                            const std::string& bytes);

/// The ids (canonical hex) of every audience member of `tenant` that has the id `hex`, into
/// `out`: an opt-out fans out over them as over the ids of one event.
int audience_member_ids(Txn& txn, const std::string& tenant, const std::string& hex,
                        std::vector<std::string>& out);

/// What an opt-out of `tenant` removes from onboarding, for its closure of hashed ids (`ids`,
/// canonical hex) and uids: the audience members holding one of them, their keys in the tenant's
/// matches as advertiser (each one counted in the match's `removed`), the people of the tenant's
/// graph holding one of them (and their place in its matches as publisher), and, in the matches
/// of the tenant as advertiser, the publisher's people linked to one of them.
int forget_in_onboarding(Txn& txn, const std::string& tenant, const std::vector<std::string>& ids,
                         const std::vector<std::string>& uids);

/// Retention of the publisher graph: people and links of `tenant` last seen before `cutoff`.
/// Adds the rows deleted to `purged`.
int purge_graph_before(Txn& txn, const std::string& tenant, std::int64_t cutoff,
                       std::size_t& purged);

}  // namespace hashgate::gw::store_detail
