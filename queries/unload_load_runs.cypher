// name: unload_load_runs
// purpose: remove the load runs of a source
// params: $source
// returns: (nothing)
MATCH (l:LoadRun {source: $source})
DELETE l
