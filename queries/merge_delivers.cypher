// name: merge_delivers
// purpose: link providers to the services they deliver
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Organisation {id: row.a})
MATCH (b:Service {id: row.b})
MERGE (a)-[r:DELIVERS]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
