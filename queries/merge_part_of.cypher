// name: merge_part_of
// purpose: link places to their enclosing place
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Place {code: row.a})
MATCH (b:Place {code: row.b})
MERGE (a)-[r:PART_OF]->(b)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
