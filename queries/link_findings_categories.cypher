// name: link_findings_categories
// purpose: link findings to the categories they concern
// params: $rows
// returns: (nothing)
UNWIND $rows AS row
MATCH (f:Finding {id: row.finding})
MATCH (t:Category {code: row.target})
MERGE (f)-[:CONCERNS]->(t)
