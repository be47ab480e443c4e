// name: release_stale_relationships
// purpose: forget a source on relationships it no longer contributes but others do
// params: $source, $run
// returns: (nothing)
MATCH ()-[r]->()
WHERE r.load_run <> $run AND $source IN r.sources
SET r.sources = [x IN r.sources WHERE x <> $source]
