// name: merge_procurements
// purpose: create or update planned and open procurements (buyer, category and places kept as properties), recording the source and load run
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MERGE (n:Procurement {id: row.key})
SET n += row.props, n.source = $source, n.load_run = $run, n.sources = CASE WHEN $source IN coalesce(n.sources, []) THEN n.sources ELSE coalesce(n.sources, []) + [$source] END
