// name: create_funds
// purpose: create funding flows that no other source shares (the fast path of a load; see ecosystem.load)
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (b:Organisation {id: row.b})
MATCH (a:Organisation {id: row.a})
CREATE (b)<-[r:FUNDS]-(a)
SET r += row.props, r.id = row.key, r.source = $source, r.load_run = $run, r.sources = [$source]
