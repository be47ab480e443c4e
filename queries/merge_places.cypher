// name: merge_places
// purpose: create or update places nodes from canonical rows, recording the source and load run
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MERGE (n:Place {code: row.key})
SET n += row.props, n.source = $source, n.load_run = $run, n.sources = CASE WHEN $source IN coalesce(n.sources, []) THEN n.sources ELSE coalesce(n.sources, []) + [$source] END
