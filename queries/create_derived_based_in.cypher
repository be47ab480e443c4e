// name: create_derived_based_in
// purpose: base organisations in the place found from their postcode or their org-id (basis says which)
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (a:Organisation {id: row.a})
MATCH (b:Place {code: row.b})
CREATE (a)-[r:BASED_IN]->(b)
SET r.basis = row.basis, r.source = $source, r.load_run = $run
