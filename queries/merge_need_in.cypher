// name: merge_need_in
// purpose: link needs to their place
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Need {id: row.a})
MATCH (b:Place {code: row.b})
MERGE (a)-[r:IN]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
