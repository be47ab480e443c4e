// name: merge_broader
// purpose: link categories to their broader category
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Category {code: row.a})
MATCH (b:Category {code: row.b})
MERGE (a)-[r:BROADER]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
