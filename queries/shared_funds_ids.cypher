// name: shared_funds_ids
// purpose: ids of funding flows that some other source also contributes (these are merged, not recreated)
// params: $source
// returns: id
MATCH ()-[r:FUNDS]->()
WHERE NOT r.sources = [$source]
RETURN DISTINCT r.id AS id
