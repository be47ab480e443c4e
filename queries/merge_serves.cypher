// name: merge_serves
// purpose: link services to the places they serve
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Service {id: row.a})
MATCH (b:Place {code: row.b})
MERGE (a)-[r:SERVES]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
