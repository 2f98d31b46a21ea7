-- The sqlite3 shell's side of bench/onboarding: the same match as one query over peer.db (tables
-- written by `hashgate_onboarding_bench gen`): people who share an id (kind + digest) with an
-- audience member that has no suppressed id, minus people with a suppressed id.
WITH bad_members AS (SELECT DISTINCT a.member FROM audience a JOIN suppressed s USING (kind, digest)),
     bad_persons AS (SELECT DISTINCT l.person FROM links l JOIN suppressed s USING (kind, digest))
SELECT count(DISTINCT l.person)
  FROM audience a JOIN links l USING (kind, digest)
 WHERE a.member NOT IN bad_members AND l.person NOT IN bad_persons;
