// name: link_findings_services
// purpose: link findings to the services they concern
// params: $rows
// returns: (nothing)
UNWIND $rows AS row
MATCH (f:Finding {id: row.finding})
MATCH (t:Service {id: row.target})
MERGE (f)-[:CONCERNS]->(t)
