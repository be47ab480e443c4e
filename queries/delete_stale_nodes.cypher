// name: delete_stale_nodes
// purpose: remove nodes a source no longer contributes (only that source had them)
// params: $source, $run
// returns: (nothing)
MATCH (n)
WHERE n.load_run <> $run AND n.sources = [$source]
DETACH DELETE n
