// name: merge_partners_with
// purpose: create or update partnerships between organisations
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Organisation {id: row.a})
MATCH (b:Organisation {id: row.b})
MERGE (a)-[r:PARTNERS_WITH {kind: row.key}]->(b)
SET r += row.props, r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
