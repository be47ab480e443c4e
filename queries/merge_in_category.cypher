// name: merge_in_category
// purpose: link services to their category
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Service {id: row.a})
MATCH (b:Category {code: row.b})
MERGE (a)-[r:IN_CATEGORY]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
