// name: merge_funded_for
// purpose: link the recipients of flows to the loaded places among the flows' beneficiary places
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Organisation {id: row.a})
MATCH (b:Place {code: row.b})
MERGE (a)-[r:FUNDED_FOR]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
