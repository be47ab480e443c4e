// name: release_stale_nodes
// purpose: forget a source on nodes it no longer contributes but others do
// params: $source, $run
// returns: (nothing)
MATCH (n)
WHERE n.load_run <> $run AND $source IN n.sources
SET n.sources = [x IN n.sources WHERE x <> $source]
