// name: merge_need_for
// purpose: link needs to their category
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Need {id: row.a})
MATCH (b:Category {code: row.b})
MERGE (a)-[r:FOR]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
