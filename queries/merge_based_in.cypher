// name: merge_based_in
// purpose: link organisations to the place they are based in (their own place: no basis)
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Organisation {id: row.a})
MATCH (b:Place {code: row.b})
MERGE (a)-[r:BASED_IN]->(b)
SET r.basis = null, r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
