// name: write_findings
// purpose: write analysis findings as Finding nodes
// params: $rows
// returns: (nothing)
UNWIND $rows AS row
MERGE (f:Finding {id: row.id})
SET f = row
