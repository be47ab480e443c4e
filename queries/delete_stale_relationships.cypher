// name: delete_stale_relationships
// purpose: remove relationships a source no longer contributes (only that source had them)
// params: $source, $run
// returns: (nothing)
MATCH ()-[r]->()
WHERE r.load_run <> $run AND r.sources = [$source]
DELETE r
