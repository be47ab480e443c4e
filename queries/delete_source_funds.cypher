// name: delete_source_funds
// purpose: remove the funding flows only this source contributed, before the source's new version recreates them
// params: $source
// returns: (nothing)
MATCH ()-[r:FUNDS]->()
WHERE r.sources = [$source]
DELETE r
