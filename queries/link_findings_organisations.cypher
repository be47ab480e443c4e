// name: link_findings_organisations
// purpose: link findings to the organisations they concern
// params: $rows
// returns: (nothing)
UNWIND $rows AS row
MATCH (f:Finding {id: row.finding})
MATCH (t:Organisation {id: row.target})
MERGE (f)-[:CONCERNS]->(t)
