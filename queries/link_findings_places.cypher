// name: link_findings_places
// purpose: link findings to the places they concern
// params: $rows
// returns: (nothing)
UNWIND $rows AS row
MATCH (f:Finding {id: row.finding})
MATCH (t:Place {code: row.target})
MERGE (f)-[:CONCERNS]->(t)
